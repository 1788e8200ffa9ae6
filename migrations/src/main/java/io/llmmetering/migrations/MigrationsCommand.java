package io.llmmetering.migrations;

import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code java -jar metering-migrations.jar migrate|verify|info|rollback [--url URL] [--user USER] [--password-file FILE]}.
 *
 * <p>A command-line tool, so it writes to the streams it is given. Defaults come from
 * {@code METERING_DB_URL}, {@code METERING_DB_USER}, {@code METERING_DB_PASSWORD}, then the local server.
 * {@code migrate} and {@code rollback} take a backup first, and {@code migrate} restores it when applying or
 * verifying fails, as the seed's migration script does.
 * Exit codes: 0 success, 1 verification found something missing (restored), 2 bad arguments, 3 database error,
 * 4 no backup could be taken (nothing changed), 5 the restore failed too (the backup file is named).
 */
public final class MigrationsCommand {

    static final int OK = 0;
    static final int VERIFY_FAILED = 1;
    static final int USAGE = 2;
    static final int DATABASE_ERROR = 3;
    static final int BACKUP_FAILED = 4;
    static final int RESTORE_FAILED = 5;

    private static final String DEFAULT_BACKUP_DIR = "metering-backups";

    private static final String HELP = """
            usage: metering-migrations <migrate|verify|info|rollback> [--url JDBC_URL] [--user USER] [--password-file FILE]
              migrate              create the database if missing, back it up, apply pending migrations, verify;
                                   a failed migration or verification restores the backup and exits non-zero
              verify               check the credit tables and indexes exist; exit 1 if anything is missing
              info                 list applied and pending migrations
              rollback --to N      back up, then undo the migrations above version N with their down-scripts
                                   (one transaction: all of them or none); --to 0 removes the credit system
            options of migrate and rollback:
              --backup-dir DIR     where backups go (default $METERING_BACKUP_DIR or %s)
              --no-backup          go on without a backup (otherwise pg_dump and psql must be on the PATH)
            defaults: --url $METERING_DB_URL or %s, --user $METERING_DB_USER or %s, the password $METERING_DB_PASSWORD
            (never an argument: the process list shows arguments to every user of the host)
            """.formatted(DEFAULT_BACKUP_DIR, DatabaseTarget.DEFAULT_URL, DatabaseTarget.DEFAULT_USER);

    /** Held so the JUL logger (weakly referenced) keeps its level: Flyway's INFO chatter is not this tool's output. */
    private static final java.util.logging.Logger FLYWAY_LOG = java.util.logging.Logger.getLogger("org.flywaydb");

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> environment;
    private final List<String> locations;

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

    /** What the command line said besides the command. */
    private record Options(DatabaseTarget target, Path backupDir, boolean backup, Integer rollbackTo) {
    }

    public static void main(String[] args) {
        FLYWAY_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(new MigrationsCommand(System.out, System.err, System.getenv()).run(args));
    }

    int run(String[] args) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            out.print(HELP);
            return args.length == 0 ? USAGE : OK;
        }
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("[ERROR] " + e.getMessage());
            err.print(HELP);
            return USAGE;
        }
        DatabaseTarget target = options.target();
        try {
            return switch (args[0]) {
                case "migrate" -> migrate(options);
                case "verify" -> verify(target) ? OK : VERIFY_FAILED;
                case "info" -> info(target);
                case "rollback" -> rollback(options);
                default -> {
                    err.println("[ERROR] unknown command '" + args[0] + "'");
                    err.print(HELP);
                    yield USAGE;
                }
            };
        } catch (SQLException | FlywayException e) {
            err.println("[ERROR] " + target + ": " + e.getMessage());
            return DATABASE_ERROR;
        }
    }

    private Options parse(String[] args) {
        String url = environment.getOrDefault("METERING_DB_URL", DatabaseTarget.DEFAULT_URL);
        String user = environment.getOrDefault("METERING_DB_USER", DatabaseTarget.DEFAULT_USER);
        String password = environment.getOrDefault("METERING_DB_PASSWORD", "");
        String backupDir = environment.getOrDefault("METERING_BACKUP_DIR", DEFAULT_BACKUP_DIR);
        boolean backup = true;
        Integer to = null;
        for (int i = 1; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--no-backup")) {
                backup = false;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--url" -> url = value;
                case "--user" -> user = value;
                case "--password" -> throw new IllegalArgumentException("--password is visible to every user of the host in the "
                        + "process list: set METERING_DB_PASSWORD or pass --password-file FILE");
                case "--password-file" -> password = passwordFile(value);
                case "--backup-dir" -> backupDir = value;
                case "--to" -> to = version(value);
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (args[0].equals("rollback") && to == null) {
            throw new IllegalArgumentException("rollback needs --to VERSION");
        }
        return new Options(new DatabaseTarget(url, user, password), Path.of(backupDir), backup, to);
    }

    private static String passwordFile(String file) {
        try {
            return java.nio.file.Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("--password-file " + file + " cannot be read: " + e.getMessage());
        }
    }

    private static int version(String text) {
        try {
            int version = Integer.parseInt(text);
            if (version >= 0) {
                return version;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("--to must be a migration version such as 12, was '" + text + "'");
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
