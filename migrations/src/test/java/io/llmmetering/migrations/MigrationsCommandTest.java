package io.llmmetering.migrations;

import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class MigrationsCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private static final Path BACKUPS = Path.of("target", "test-backups");
    private final MigrationsCommand command = command(List.of(DatabaseMigrator.MIGRATIONS_LOCATION), System.getenv("PATH"));

    private MigrationsCommand command(List<String> locations, String path) {
        return new MigrationsCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("PATH", path, "METERING_BACKUP_DIR", BACKUPS.toString()), locations);
    }

    @Test
    void migrateThenVerifyPrintsTheFiveTablesAndTheIndexes(TestDatabase database) {
        assertThat(command.run(new String[]{"migrate", "--url", database.jdbcUrl(), "--user", "postgres"})).isZero();
        assertThat(output()).contains("[SUCCESS] Applied 1 credit system", "[SUCCESS] Applied 2 usage events partitioned");

        assertThat(command.run(new String[]{"verify", "--url", database.jdbcUrl(), "--user", "postgres"})).isZero();
        assertThat(output())
                .contains("[SUCCESS] \u2713 Table 'user_credits' exists", "[SUCCESS] \u2713 Table 'credit_transactions' exists",
                        "[SUCCESS] \u2713 Table 'openrouter_accounts' exists", "[SUCCESS] \u2713 Table 'coupon_codes' exists",
                        "[SUCCESS] \u2713 Table 'usage_events' exists", "[SUCCESS] All tables verified",
                        "[SUCCESS] \u2713 Index 'idx_credit_transactions_user_id_created_at' on credit_transactions",
                        "[SUCCESS] Verification passed")
                .containsPattern("\\[SUCCESS] \\d+ idx_\\* indexes \\(at least 20 required\\)");

        assertThat(command.run(new String[]{"info", "--url", database.jdbcUrl()})).isZero();
        assertThat(output()).contains("credit system").contains("Success");
    }

    @Test
    void migrateCreatesAMissingDatabase(TestDatabase database) throws Exception {
        String fresh = "t_fresh_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        String url = "jdbc:postgresql://" + database.host() + ":" + database.port() + "/" + fresh;
        try {
            assertThat(command.run(new String[]{"migrate", "--url", url})).isZero();
            assertThat(output()).contains("[INFO] Created database '" + fresh + "'");
            assertThat(command.run(new String[]{"verify", "--url", url})).isZero();
        } finally {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + database.host() + ":" + database.port() + "/postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + fresh + " WITH (FORCE)");
            }
        }
    }

    @Test
    void verifyOfAnUnmigratedDatabaseFailsAndSaysWhatIsMissing() throws Exception {
        String empty = "t_empty_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + empty);
        }
        try {
            assertThat(command.run(new String[]{"verify", "--url", "jdbc:postgresql://127.0.0.1:5432/" + empty}))
                    .isEqualTo(MigrationsCommand.VERIFY_FAILED);
            assertThat(output()).contains("[FAILURE] \u2717 Table 'user_credits' is missing", "[FAILURE] Verification failed");
        } finally {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + empty + " WITH (FORCE)");
            }
        }
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        assertThat(command.run(new String[]{"explode"})).isEqualTo(MigrationsCommand.USAGE);
        assertThat(command.run(new String[]{"migrate", "--colour", "blue"})).isEqualTo(MigrationsCommand.USAGE);
        assertThat(command.run(new String[]{"migrate", "--url"})).isEqualTo(MigrationsCommand.USAGE);
        assertThat(command.run(new String[]{})).isEqualTo(MigrationsCommand.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unmatched argument at index 0: 'explode'", "Unknown options: '--colour'", "Usage: metering-migrations");
    }

    @Test
    void anUnreachableServerIsADatabaseErrorWithoutThePassword(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path secret = java.nio.file.Files.writeString(dir.resolve("password"), "hunter2\n");
        int code = command.run(new String[]{"verify", "--url", "jdbc:postgresql://127.0.0.1:1/metering?connectTimeout=2",
                "--password-file", secret.toString()});
        assertThat(code).isEqualTo(MigrationsCommand.DATABASE_ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("[ERROR]").doesNotContain("hunter2");
    }

    /** An argument is in the process list for every user of the host to read. */
    @Test
    @org.junit.jupiter.api.Tag("security")
    void aPasswordGivenAsAnArgumentIsRefusedBeforeAnythingRuns() {
        assertThat(command.run(new String[]{"migrate", "--password", "hunter2"})).isEqualTo(MigrationsCommand.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("METERING_DB_PASSWORD", "--password-file").doesNotContain("hunter2");
    }

    @Test
    void aMigrationRunThatFailsIsRestoredFromTheBackupItTookFirst(TestDatabase database) throws Exception {
        String url = freshMigratedDatabaseWithData(database);
        try {
            int code = command(List.of(DatabaseMigrator.MIGRATIONS_LOCATION, "classpath:db/then-fails"), System.getenv("PATH"))
                    .run(new String[]{"migrate", "--url", url});

            assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(MigrationsCommand.DATABASE_ERROR);
            assertThat(output()).contains("[SUCCESS] Backup created: ", "[WARNING] Rolling back migration...",
                    "[SUCCESS] Rollback completed successfully: restored ");
            assertThat(backupNamed(output())).exists();
            assertThat(query(url, "SELECT coalesce(to_regclass('added_then_restored_away')::text, 'absent')")).isEqualTo("absent");
            assertThat(query(url, "SELECT max(version::int)::text FROM flyway_schema_history WHERE success")).isEqualTo(new DatabaseMigrator(new DatabaseTarget(url, "postgres", "")).latestVersion());
            assertThat(query(url, "SELECT balance::text FROM user_credits WHERE user_id = 'kept@example.com'")).isEqualTo("42.000000000");
            assertThat(command.run(new String[]{"verify", "--url", url})).isZero();
        } finally {
            drop(url);
        }
    }

    @Test
    void aMigrationThatFailsVerificationIsRestoredAndExitsOne(TestDatabase database) throws Exception {
        String url = freshMigratedDatabaseWithData(database);
        try {
            int code = command(List.of(DatabaseMigrator.MIGRATIONS_LOCATION, "classpath:db/breaks-verify"), System.getenv("PATH"))
                    .run(new String[]{"migrate", "--url", url});

            assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(MigrationsCommand.VERIFY_FAILED);
            assertThat(output()).contains("[SUCCESS] Applied 90 drops a required index", "[FAILURE] \u2717 Index 'idx_coupon_codes_code' is missing",
                    "[SUCCESS] Rollback completed successfully");
            assertThat(query(url, "SELECT count(*)::text FROM credit_transactions")).isEqualTo("1");
            assertThat(query(url, "SELECT coalesce(to_regclass('idx_coupon_codes_code')::text, 'absent')")).isEqualTo("idx_coupon_codes_code");
            assertThat(query(url, "SELECT max(version::int)::text FROM flyway_schema_history WHERE success")).isEqualTo(new DatabaseMigrator(new DatabaseTarget(url, "postgres", "")).latestVersion());
        } finally {
            drop(url);
        }
    }

    @Test
    void withoutPgDumpMigrateRefusesAndChangesNothingUnlessTold(TestDatabase database) throws Exception {
        String url = "jdbc:postgresql://" + database.host() + ":" + database.port() + "/t_nodump_"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        try {
            MigrationsCommand withoutTools = command(List.of(DatabaseMigrator.MIGRATIONS_LOCATION), "/nonexistent");
            assertThat(withoutTools.run(new String[]{"migrate", "--url", url})).isEqualTo(MigrationsCommand.BACKUP_FAILED);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("pg_dump is not on the PATH", "--no-backup");
            assertThat(query(url, "SELECT coalesce(to_regclass('flyway_schema_history')::text, 'absent')")).isEqualTo("absent");

            assertThat(withoutTools.run(new String[]{"migrate", "--url", url, "--no-backup"})).isZero();
            assertThat(output()).contains("[WARNING] --no-backup: no backup taken", "[SUCCESS] Verification passed");
        } finally {
            drop(url);
        }
    }

    @Test
    void rollbackBacksUpThenUndoesTheMigrationsAboveTheVersion(TestDatabase database) throws Exception {
        String url = freshMigratedDatabaseWithData(database);
        try {
            assertThat(command.run(new String[]{"rollback", "--url", url, "--to", "11"})).isZero();
            assertThat(output()).contains("[SUCCESS] Backup created: ", "[SUCCESS] Undone with U14__event_ids_charged_once_per_user.sql",
                    "[SUCCESS] Undone with U13__dead_letters.sql",
                    "[SUCCESS] Undone with U12__idempotency_keys_per_transaction_type.sql", "[SUCCESS] Schema at version 11");
            assertThat(backupNamed(output())).content().contains("CREATE TABLE public.dead_letters");
            assertThat(query(url, "SELECT coalesce(to_regclass('dead_letters')::text, 'absent')")).isEqualTo("absent");
            assertThat(query(url, "SELECT balance::text FROM user_credits WHERE user_id = 'kept@example.com'")).isEqualTo("42.000000000");

            assertThat(command.run(new String[]{"rollback", "--url", url, "--to", "11"})).isZero();
            assertThat(output()).contains("nothing to roll back");
            assertThat(command.run(new String[]{"rollback", "--url", url, "--to", "12"})).isEqualTo(MigrationsCommand.USAGE);
            assertThat(command.run(new String[]{"rollback", "--url", url})).isEqualTo(MigrationsCommand.USAGE);
            assertThat(command.run(new String[]{"rollback", "--url", url, "--to", "-1"})).isEqualTo(MigrationsCommand.USAGE);
            assertThat(command.run(new String[]{"rollback", "--url", url, "--to", "twelve"})).isEqualTo(MigrationsCommand.USAGE);

            assertThat(command.run(new String[]{"migrate", "--url", url})).isZero();
            assertThat(output()).contains("[SUCCESS] Applied 12 ", "[SUCCESS] Applied 13 ", "[SUCCESS] Applied 14 ");
        } finally {
            drop(url);
        }
    }

    /** A database at the latest version with one account and one ledger row. */
    private String freshMigratedDatabaseWithData(TestDatabase database) throws Exception {
        String url = "jdbc:postgresql://" + database.host() + ":" + database.port() + "/t_restore_"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        assertThat(command.run(new String[]{"migrate", "--url", url, "--no-backup"})).isZero();
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement()) {
            s.execute("INSERT INTO user_credits (user_id, balance) VALUES ('kept@example.com', 42)");
            s.execute("INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, reason) "
                    + "VALUES ('kept@example.com', 42, 42, 'allocation', 'kept')");
        }
        return url;
    }

    private static Path backupNamed(String output) {
        java.util.regex.Matcher file = java.util.regex.Pattern.compile("Backup created: (\\S+)").matcher(output);
        assertThat(file.find()).isTrue();
        String last = file.group(1);
        while (file.find()) {
            last = file.group(1);
        }
        return Path.of(last);
    }

    private static String query(String url, String sql) throws SQLException {
        String name = url.substring(url.lastIndexOf('/') + 1);
        String server = url.substring(0, url.lastIndexOf('/'));
        try (Connection c = DriverManager.getConnection(server + "/postgres", "postgres", ""); Statement s = c.createStatement();
             ResultSet exists = s.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'")) {
            exists.next();
            if (exists.getInt(1) == 0) {
                return sql.contains("to_regclass") ? "absent" : null;
            }
        }
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement();
             ResultSet row = s.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }

    private static void drop(String url) throws SQLException {
        String name = url.substring(url.lastIndexOf('/') + 1);
        try (Connection c = DriverManager.getConnection(url.substring(0, url.lastIndexOf('/')) + "/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    private String output() {
        return out.toString(StandardCharsets.UTF_8);
    }
}
