package io.llmmetering.migrations;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A plain-SQL backup of one database with PostgreSQL's own {@code pg_dump}, as the seed's migration script takes
 * it, and its restore with {@code psql}: the {@code public} schema is dropped and the backup replayed in one
 * transaction, so a restore that fails leaves the database as it found it. The password goes to the tools in
 * {@code PGPASSWORD}, never on a command line.
 */
final class DatabaseBackup {

    static final List<String> TOOLS = List.of("pg_dump", "psql");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(60);

    private final DatabaseTarget target;
    private final Map<String, String> environment;
    private final Duration timeout;

    DatabaseBackup(DatabaseTarget target, Map<String, String> environment) {
        this(target, environment, DEFAULT_TIMEOUT);
    }

    DatabaseBackup(DatabaseTarget target, Map<String, String> environment, Duration timeout) {
        this.target = target;
        this.environment = environment;
        this.timeout = timeout;
    }

    /** The first of pg_dump and psql that is not on the PATH. */
    Optional<String> missingTool() {
        return TOOLS.stream().filter(tool -> find(tool).isEmpty()).findFirst();
    }

    /** The tool on the PATH of the environment given: the one {@link #missingTool()} checked is the one that runs. */
    private Optional<Path> find(String tool) {
        for (String dir : environment.getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Optional.of(Path.of(dir, tool));
            }
        }
        return Optional.empty();
    }

    /** Writes the whole database (schema and data) to a new file in {@code directory}; returns it. */
    Path dump(Path directory, String label, Instant now) throws IOException, BackupException {
        Files.createDirectories(directory);
        Path file = directory.resolve(target.databaseName() + "-" + label + "-" + STAMP.format(now) + ".sql");
        List<String> command = new ArrayList<>(List.of(executable("pg_dump"), "--no-owner", "--file", file.toString()));
        command.addAll(connection());
        run(command, "pg_dump");
        return file;
    }

    /** Replaces the {@code public} schema with the backup's, in one transaction. */
    void restore(Path backup) throws BackupException {
        List<String> command = new ArrayList<>(List.of(executable("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                "-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public", "-f", backup.toString()));
        command.addAll(connection());
        run(command, "psql");
    }

    private String executable(String tool) throws BackupException {
        return find(tool).orElseThrow(() -> new BackupException(tool + " is not on the PATH")).toString();
    }

    /** The database the migration runs on, hosts and TLS settings included: never another one by a parse gone wrong. */
    private List<String> connection() {
        return List.of("--dbname", target.libpqUri());
    }

    private void run(List<String> command, String tool) throws BackupException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PATH", environment.getOrDefault("PATH", builder.environment().getOrDefault("PATH", "")));
        if (!target.password().isEmpty()) {
            builder.environment().put("PGPASSWORD", target.password());
        }
        try {
            // the output goes to a file, so waiting for the process is what the time limit bounds (reading its
            // output to the end first would wait as long as the tool runs)
            Path output = Files.createTempFile("metering-" + tool, ".log");
            try {
                Process process = builder.redirectOutput(output.toFile()).start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new BackupException(tool + " did not finish within " + timeout);
                }
                if (process.exitValue() != 0) {
                    throw new BackupException(tool + " exited with " + process.exitValue() + ": " + Files.readString(output).strip());
                }
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new BackupException(tool + " could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(tool + " was interrupted");
        }
    }

    static final class BackupException extends Exception {
        BackupException(String message) {
            super(message);
        }
    }
}
