package io.llmmetering.migrations;

import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code java -jar metering-migrations.jar migrate|verify|info|rollback [--url URL] [--user USER] [--password-file FILE]}.
 *
 * <p>A command-line tool, so it writes to the streams it is given. Defaults come from
 * {@code METERING_DB_URL}, {@code METERING_DB_USER}, {@code METERING_DB_PASSWORD}, then the local server.
 * {@code migrate} and {@code rollback} take a backup first, and {@code migrate} restores it when applying or
 * verifying fails, as the seed's migration script does.
 */
@Command(name = "metering-migrations",
        description = "Applies, verifies, lists and rolls back the credit system's PostgreSQL migrations.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:verification found something missing (a migrate run restored its backup)",
                "2:bad arguments", "3:database error", "4:no backup could be taken (nothing changed)",
                "5:the restore failed too (the backup file is named)"},
        footer = {"", "The password comes from $METERING_DB_PASSWORD or --password-file, never an argument: the process list "
                + "shows arguments to every user of the host."})
public final class MigrationsCommand implements Callable<Integer> {

    static final int OK = 0;
    static final int VERIFY_FAILED = 1;
    static final int USAGE = CommandLine.ExitCode.USAGE;
    static final int DATABASE_ERROR = 3;
    static final int BACKUP_FAILED = 4;
    static final int RESTORE_FAILED = 5;

    /** Which environment variable gives each option its default, before the option's own. */
    private static final Map<String, String> VARIABLES = Map.of("--url", "METERING_DB_URL", "--user", "METERING_DB_USER",
            "--backup-dir", "METERING_BACKUP_DIR");

    /** Held so the JUL logger (weakly referenced) keeps its level: Flyway's INFO chatter is not this tool's output. */
    private static final java.util.logging.Logger FLYWAY_LOG = java.util.logging.Logger.getLogger("org.flywaydb");

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> environment;
    private final List<String> locations;
    @Spec
    private CommandSpec spec;
    @Option(names = {"-h", "--help"}, usageHelp = true, scope = CommandLine.ScopeType.INHERIT, description = "show this help and exit")
    private boolean help;

    MigrationsCommand(PrintStream out, PrintStream err, Map<String, String> environment) {
        this(out, err, environment, List.of(DatabaseMigrator.MIGRATIONS_LOCATION));
    }

    /** With other migration locations: tests add a migration that fails, or one that breaks verification. */
    MigrationsCommand(PrintStream out, PrintStream err, Map<String, String> environment, List<String> locations) {
        this.out = out;
        this.err = err;
        this.environment = environment;
        this.locations = List.copyOf(locations);
    }

    /** The database a command works on. */
    static final class DatabaseOptions {
        @Spec(Spec.Target.MIXEE)
        private CommandSpec command;
        @Option(names = "--url", paramLabel = "JDBC_URL", defaultValue = DatabaseTarget.DEFAULT_URL,
                description = "the database (default $METERING_DB_URL or ${DEFAULT-VALUE})")
        private String url;
        @Option(names = "--user", defaultValue = DatabaseTarget.DEFAULT_USER,
                description = "its user (default $METERING_DB_USER or ${DEFAULT-VALUE})")
        private String user;
        @Option(names = "--password-file", paramLabel = "FILE", description = "a file holding the password (default $METERING_DB_PASSWORD)")
        private Path passwordFile;

        @Option(names = "--password", hidden = true)
        private void refusePassword(String ignored) {
            throw new ParameterException(command.commandLine(), "--password is visible to every user of the host in the process list: "
                    + "set METERING_DB_PASSWORD or pass --password-file FILE");
        }

        DatabaseTarget target(Map<String, String> environment) {
            return new DatabaseTarget(url, user, passwordFile == null ? environment.getOrDefault("METERING_DB_PASSWORD", "") : password());
        }

        private String password() {
            try {
                return java.nio.file.Files.readString(passwordFile).strip();
            } catch (IOException e) {
                throw new ParameterException(command.commandLine(), "--password-file " + passwordFile + " cannot be read: " + e.getMessage());
            }
        }
    }

    /** Where the backup taken before a change goes, or none. */
    static final class BackupOptions {
        @Option(names = "--backup-dir", paramLabel = "DIR", defaultValue = "metering-backups",
                description = "where backups go (default $METERING_BACKUP_DIR or ${DEFAULT-VALUE})")
        private Path dir;
        @Option(names = "--no-backup", description = "go on without a backup (otherwise pg_dump and psql must be on the PATH)")
        private boolean skip;
    }

    /** What the command line said besides the command. */
    private record Options(DatabaseTarget target, Path backupDir, boolean backup, Integer rollbackTo) {
    }

    public static void main(String[] args) {
        FLYWAY_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(new MigrationsCommand(System.out, System.err, System.getenv()).run(args));
    }

    int run(String[] args) {
        CommandLine commandLine = new CommandLine(this).setUsageHelpWidth(110)
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .setDefaultValueProvider(new EnvironmentDefaults(VARIABLES, environment));
        return commandLine.execute(args);
    }

    /** A step against the database, which may fail there. */
    private interface DatabaseWork {
        int run(DatabaseTarget target) throws SQLException;
    }

    /** Runs {@code work}; a database failure is exit code 3, named by the target's printable form (no password). */
    private int against(DatabaseTarget target, DatabaseWork work) {
        try {
            return work.run(target);
        } catch (SQLException | FlywayException e) {
            err.println("[ERROR] " + target + ": " + e.getMessage());
            return DATABASE_ERROR;
        }
    }

    /** No command: say which there are. */
    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return USAGE;
    }

    @Command(name = "migrate", description = {"Back up, apply pending migrations, verify; restore the backup if either fails.",
            "Creates the database if it is missing; a failed migration or verification exits non-zero."})
    int migrate(@Mixin DatabaseOptions database, @Mixin BackupOptions backup) {
        return against(database.target(environment), target -> migrate(new Options(target, backup.dir, !backup.skip, null)));
    }

    @Command(name = "verify", description = "Check the credit tables and indexes exist; exit 1 if anything is missing.")
    int verify(@Mixin DatabaseOptions database) {
        return against(database.target(environment), target -> verify(target) ? OK : VERIFY_FAILED);
    }

    @Command(name = "info", description = "List applied and pending migrations.")
    int info(@Mixin DatabaseOptions database) {
        return against(database.target(environment), this::info);
    }

    @Command(name = "rollback", description = {"Back up, then undo the migrations above version N (--to N) in one transaction.",
            "Runs their down-scripts, all of them or none; --to 0 removes the credit system."})
    int rollback(@Mixin DatabaseOptions database, @Mixin BackupOptions backup,
                 @Option(names = "--to", paramLabel = "N", required = true, description = "the version to return to") int to) {
        if (to < 0) {
            throw new ParameterException(spec.subcommands().get("rollback"), "--to must be a migration version such as 12, was " + to);
        }
        return against(database.target(environment), target -> rollback(new Options(target, backup.dir, !backup.skip, to)));
    }

    private int migrate(Options options) throws SQLException {
        DatabaseTarget target = options.target();
        DatabaseMigrator migrator = new DatabaseMigrator(target, locations);
        if (migrator.createDatabaseIfMissing()) {
            out.println("[INFO] Created database '" + target.databaseName() + "'");
        }
        List<MigrationInfo> pending = migrator.pending();
        if (pending.isEmpty()) {
            out.println("[SUCCESS] Schema at version " + migrator.currentVersion() + ", nothing to apply");
            return verify(target) ? OK : VERIFY_FAILED;
        }
        Optional<Path> backup;
        try {
            backup = backup(options, "before-V" + pending.get(pending.size() - 1).getVersion());
        } catch (DatabaseBackup.BackupException | IOException e) {
            err.println("[ERROR] No backup could be taken, so nothing was changed: " + e.getMessage());
            return BACKUP_FAILED;
        }
        out.println("[INFO] Applying credit system migrations to " + target.printableUrl());
        try {
            MigrateResult result = migrator.migrate();
            result.migrations.forEach(m -> out.println("[SUCCESS] Applied " + m.version + " " + m.description
                    + " (" + m.executionTime + " ms)"));
            out.println("[SUCCESS] Schema at version " + (result.targetSchemaVersion != null ? result.targetSchemaVersion
                    : result.initialSchemaVersion) + ", " + result.migrationsExecuted + " migration(s) applied");
        } catch (FlywayException e) {
            err.println("[ERROR] Migration failed: " + e.getMessage());
            return restore(options, backup, DATABASE_ERROR);
        }
        return verify(target) ? OK : restore(options, backup, VERIFY_FAILED);
    }

    private int rollback(Options options) throws SQLException {
        DatabaseMigrator migrator = new DatabaseMigrator(options.target(), locations);
        int current = migrator.currentVersion();
        if (options.rollbackTo() > current) {
            err.println("[ERROR] --to " + options.rollbackTo() + " is above the current version " + current);
            return USAGE;
        }
        if (options.rollbackTo() == current) {
            out.println("[SUCCESS] Schema already at version " + current + ", nothing to roll back");
            return OK;
        }
        try {
            backup(options, "before-rollback-to-V" + options.rollbackTo());
        } catch (DatabaseBackup.BackupException | IOException e) {
            err.println("[ERROR] No backup could be taken, so nothing was changed: " + e.getMessage());
            return BACKUP_FAILED;
        }
        out.println("[INFO] Rolling back from version " + current + " to " + options.rollbackTo() + "...");
        List<String> scripts;
        try {
            scripts = migrator.rollbackTo(options.rollbackTo());
        } catch (SQLException | IllegalStateException e) {
            err.println("[ERROR] Rollback failed and changed nothing: " + e.getMessage());
            return DATABASE_ERROR;
        }
        scripts.forEach(script -> out.println("[SUCCESS] Undone with " + script));
        out.println("[SUCCESS] Schema at version " + migrator.currentVersion());
        return OK;
    }

    private Optional<Path> backup(Options options, String label) throws DatabaseBackup.BackupException, IOException {
        if (!options.backup()) {
            out.println("[WARNING] --no-backup: no backup taken");
            return Optional.empty();
        }
        DatabaseBackup backups = new DatabaseBackup(options.target(), environment);
        Optional<String> missing = backups.missingTool();
        if (missing.isPresent()) {
            throw new DatabaseBackup.BackupException(missing.get() + " is not on the PATH (install the PostgreSQL client "
                    + "tools, or pass --no-backup to go on without a backup)");
        }
        out.println("[INFO] Creating database backup...");
        Path file = backups.dump(options.backupDir(), label, Instant.now());
        out.println("[SUCCESS] Backup created: " + file.toAbsolutePath());
        return Optional.of(file);
    }

    private int restore(Options options, Optional<Path> backup, int exitCode) {
        if (backup.isEmpty()) {
            err.println("[ERROR] No backup was taken (--no-backup): the database is left as the failure left it");
            return exitCode;
        }
        out.println("[WARNING] Rolling back migration...");
        try {
            new DatabaseBackup(options.target(), environment).restore(backup.get());
        } catch (DatabaseBackup.BackupException e) {
            err.println("[ERROR] Restoring " + backup.get().toAbsolutePath() + " failed: " + e.getMessage());
            return RESTORE_FAILED;
        }
        out.println("[SUCCESS] Rollback completed successfully: restored " + backup.get().toAbsolutePath());
        return exitCode;
    }

    private boolean verify(DatabaseTarget target) throws SQLException {
        SchemaVerifier.Report report;
        try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password())) {
            report = new SchemaVerifier().verify(connection);
        }
        out.println("[INFO] Verifying tables...");
        report.presentTables().forEach(t -> out.println("[SUCCESS] \u2713 Table '" + t + "' exists"));
        report.missingTables().forEach(t -> out.println("[FAILURE] \u2717 Table '" + t + "' is missing"));
        out.println(report.missingTables().isEmpty() ? "[SUCCESS] All tables verified" : "[FAILURE] Tables are missing");
        out.println("[INFO] Verifying indexes...");
        report.presentIndexes().forEach(i -> out.println("[SUCCESS] \u2713 Index '" + i.name() + "' on " + i.table()));
        report.missingIndexes().forEach(i -> out.println("[FAILURE] \u2717 Index '" + i + "' is missing"));
        out.println((report.presentIndexes().size() >= SchemaVerifier.MINIMUM_INDEXES ? "[SUCCESS] " : "[FAILURE] ")
                + report.presentIndexes().size() + " idx_* indexes (at least " + SchemaVerifier.MINIMUM_INDEXES + " required)");
        List<MigrationInfo> pending = new DatabaseMigrator(target, locations).pending();
        if (!pending.isEmpty()) {
            out.println("[WARNING] " + pending.size() + " migration(s) pending: run 'migrate'");
        }
        out.println(report.ok() ? "[SUCCESS] Verification passed" : "[FAILURE] Verification failed");
        return report.ok();
    }

    private int info(DatabaseTarget target) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-8s %-40s %-10s %s", "VERSION", "DESCRIPTION", "STATE", "INSTALLED ON"));
        for (MigrationInfo info : new DatabaseMigrator(target, locations).info()) {
            lines.add(String.format("%-8s %-40s %-10s %s", info.getVersion(), info.getDescription(),
                    info.getState().getDisplayName(), info.getInstalledOn() == null ? "" : info.getInstalledOn()));
        }
        lines.forEach(out::println);
        return OK;
    }
}
