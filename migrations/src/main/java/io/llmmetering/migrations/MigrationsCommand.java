package io.llmmetering.migrations;

import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar metering-migrations.jar migrate|verify|info [--url URL] [--user USER] [--password PW]}.
 *
 * <p>A command-line tool, so it writes to the streams it is given. Defaults come from
 * {@code METERING_DB_URL}, {@code METERING_DB_USER}, {@code METERING_DB_PASSWORD}, then the local server.
 * Exit codes: 0 success, 1 verification found something missing, 2 bad arguments, 3 database error.
 */
public final class MigrationsCommand {

    static final int OK = 0;
    static final int VERIFY_FAILED = 1;
    static final int USAGE = 2;
    static final int DATABASE_ERROR = 3;

    private static final String HELP = """
            usage: metering-migrations <migrate|verify|info> [--url JDBC_URL] [--user USER] [--password PASSWORD]
              migrate  create the database if missing, then apply pending migrations
              verify   check the credit tables and indexes exist; exit 1 if anything is missing
              info     list applied and pending migrations
            defaults: --url $METERING_DB_URL or %s, --user $METERING_DB_USER or %s
            """.formatted(DatabaseTarget.DEFAULT_URL, DatabaseTarget.DEFAULT_USER);

    /** Held so the JUL logger (weakly referenced) keeps its level: Flyway's INFO chatter is not this tool's output. */
    private static final java.util.logging.Logger FLYWAY_LOG = java.util.logging.Logger.getLogger("org.flywaydb");

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> environment;

    MigrationsCommand(PrintStream out, PrintStream err, Map<String, String> environment) {
        this.out = out;
        this.err = err;
        this.environment = environment;
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
        DatabaseTarget target;
        try {
            target = parseTarget(args);
        } catch (IllegalArgumentException e) {
            err.println("[ERROR] " + e.getMessage());
            err.print(HELP);
            return USAGE;
        }
        try {
            return switch (args[0]) {
                case "migrate" -> migrate(target);
                case "verify" -> verify(target);
                case "info" -> info(target);
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

    private DatabaseTarget parseTarget(String[] args) {
        String url = environment.getOrDefault("METERING_DB_URL", DatabaseTarget.DEFAULT_URL);
        String user = environment.getOrDefault("METERING_DB_USER", DatabaseTarget.DEFAULT_USER);
        String password = environment.getOrDefault("METERING_DB_PASSWORD", "");
        for (int i = 1; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--url" -> url = value;
                case "--user" -> user = value;
                case "--password" -> password = value;
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        return new DatabaseTarget(url, user, password);
    }

    private int migrate(DatabaseTarget target) throws SQLException {
        DatabaseMigrator migrator = new DatabaseMigrator(target);
        if (migrator.createDatabaseIfMissing()) {
            out.println("[INFO] Created database '" + target.databaseName() + "'");
        }
        out.println("[INFO] Applying credit system migrations to " + target.jdbcUrl());
        MigrateResult result = migrator.migrate();
        result.migrations.forEach(m -> out.println("[SUCCESS] Applied " + m.version + " " + m.description
                + " (" + m.executionTime + " ms)"));
        out.println("[SUCCESS] Schema at version " + (result.targetSchemaVersion != null ? result.targetSchemaVersion
                : result.initialSchemaVersion) + ", " + result.migrationsExecuted + " migration(s) applied");
        return OK;
    }

    private int verify(DatabaseTarget target) throws SQLException {
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
        List<MigrationInfo> pending = new DatabaseMigrator(target).pending();
        if (!pending.isEmpty()) {
            out.println("[WARNING] " + pending.size() + " migration(s) pending: run 'migrate'");
        }
        out.println(report.ok() ? "[SUCCESS] Verification passed" : "[FAILURE] Verification failed");
        return report.ok() ? OK : VERIFY_FAILED;
    }

    private int info(DatabaseTarget target) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-8s %-40s %-10s %s", "VERSION", "DESCRIPTION", "STATE", "INSTALLED ON"));
        for (MigrationInfo info : new DatabaseMigrator(target).info()) {
            lines.add(String.format("%-8s %-40s %-10s %s", info.getVersion(), info.getDescription(),
                    info.getState().getDisplayName(), info.getInstalledOn() == null ? "" : info.getInstalledOn()));
        }
        lines.forEach(out::println);
        return OK;
    }
}
