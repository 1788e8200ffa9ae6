package io.llmmetering.migrations;

import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class MigrationsCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final MigrationsCommand command = new MigrationsCommand(
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());

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
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'explode'", "unknown option --colour", "usage:");
    }

    @Test
    void anUnreachableServerIsADatabaseErrorWithoutThePassword() {
        int code = command.run(new String[]{"verify", "--url", "jdbc:postgresql://127.0.0.1:1/metering?connectTimeout=2",
                "--password", "hunter2"});
        assertThat(code).isEqualTo(MigrationsCommand.DATABASE_ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("[ERROR]").doesNotContain("hunter2");
    }

    private String output() {
        return out.toString(StandardCharsets.UTF_8);
    }
}
