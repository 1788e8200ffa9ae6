package io.llmmetering.migrations;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private static final long TIMEOUT_MINUTES = 60;

    private final DatabaseTarget target;
    private final Map<String, String> environment;

    DatabaseBackup(DatabaseTarget target, Map<String, String> environment) {
        this.target = target;
        this.environment = environment;
    }

    /** The first of pg_dump and psql that is not on the PATH. */
    Optional<String> missingTool() {
        String path = environment.getOrDefault("PATH", "");
        for (String tool : TOOLS) {
            boolean found = false;
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return Optional.of(tool);
            }
        }
        return Optional.empty();
    }

    /** Writes the whole database (schema and data) to a new file in {@code directory}; returns it. */
    Path dump(Path directory, String label, Instant now) throws IOException, BackupException {
        Files.createDirectories(directory);
        Path file = directory.resolve(target.databaseName() + "-" + label + "-" + STAMP.format(now) + ".sql");
        List<String> command = new ArrayList<>(List.of("pg_dump", "--no-owner", "--file", file.toString()));
        command.addAll(connection());
        run(command, "pg_dump");
        return file;
    }

    /** Replaces the {@code public} schema with the backup's, in one transaction. */
    void restore(Path backup) throws BackupException {
        List<String> command = new ArrayList<>(List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                "-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public", "-f", backup.toString()));
        command.addAll(connection());
        run(command, "psql");
    }

    private List<String> connection() {
        URI uri = URI.create(target.jdbcUrl().substring("jdbc:".length()));
        return List.of("--host", uri.getHost() == null ? "127.0.0.1" : uri.getHost(),
                "--port", String.valueOf(uri.getPort() < 0 ? 5432 : uri.getPort()),
                "--username", target.user(), "--dbname", target.databaseName());
    }

    private void run(List<String> command, String tool) throws BackupException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PATH", environment.getOrDefault("PATH", builder.environment().getOrDefault("PATH", "")));
        if (!target.password().isEmpty()) {
            builder.environment().put("PGPASSWORD", target.password());
        }
        try {
            Process process = builder.start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new BackupException(tool + " did not finish within " + TIMEOUT_MINUTES + " minutes");
            }
            if (process.exitValue() != 0) {
                throw new BackupException(tool + " exited with " + process.exitValue() + ": "
                        + new String(output, StandardCharsets.UTF_8).strip());
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
