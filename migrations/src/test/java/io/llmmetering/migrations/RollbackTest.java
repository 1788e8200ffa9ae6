package io.llmmetering.migrations;

import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every down-script, run against a database with data in it, leaves exactly the schema its version had: a
 * database migrated to the latest version and filled is rolled back one version at a time, and at each step its
 * tables, columns, indexes, constraints, functions and storage options equal those of a fresh database migrated
 * to that version. The data of the tables that remain survives, and the emptied database migrates forward again.
 */
@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class RollbackTest {

    private static final String SCHEMA = """
            SELECT 'column ' || c.table_name || '.' || c.column_name || ' ' || c.data_type || ' collate=' || coalesce(c.collation_name, '')
                   || ' null=' || c.is_nullable || ' default=' || coalesce(c.column_default, '')
              FROM information_schema.columns c JOIN pg_class t ON t.relname = c.table_name AND t.relnamespace = current_schema()::regnamespace
             WHERE c.table_schema = current_schema() AND c.table_name <> 'flyway_schema_history' AND NOT t.relispartition
            UNION ALL
            SELECT 'index ' || i.indexname || ' ' || i.indexdef
              FROM pg_indexes i JOIN pg_class t ON t.relname = i.tablename AND t.relnamespace = current_schema()::regnamespace
             WHERE i.schemaname = current_schema() AND i.tablename <> 'flyway_schema_history' AND NOT t.relispartition
            UNION ALL
            SELECT 'constraint ' || t.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
              FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
             WHERE k.connamespace = current_schema()::regnamespace AND t.relname <> 'flyway_schema_history' AND NOT t.relispartition
            UNION ALL
            SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(p.prosrc)
              FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'table ' || relname || ' kind=' || relkind::text || ' options=' || coalesce(array_to_string(reloptions, ','), '')
              FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition
               AND relname <> 'flyway_schema_history'
            ORDER BY 1
            """;

    @Test
    void everyVersionRollsBackToExactlyTheSchemaItHadAndKeepsTheRemainingData(TestDatabase server) throws Exception {
        DatabaseTarget filled = create(server, "t_rollback_filled");
        DatabaseMigrator migrator = new DatabaseMigrator(filled);
        migrator.migrate();
        int latest = migrator.currentVersion();
        fill(filled);
        List<List<String>> schemaAt = schemasOfEachVersion(server, latest);

        for (int version = latest - 1; version >= 0; version--) {
            List<String> ran = migrator.rollbackTo(version);
            assertThat(ran).hasSize(1);
            assertThat(ran.get(0)).startsWith("U" + (version + 1) + "__");
            assertThat(migrator.currentVersion()).isEqualTo(version);
            assertThat(schema(filled)).as("schema after rolling back to V" + version).isEqualTo(schemaAt.get(version));
            if (version >= 1) {
                assertThat(count(filled, "user_credits")).as("accounts at V" + version).isEqualTo(2);
                assertThat(count(filled, "credit_transactions")).as("ledger rows at V" + version).isEqualTo(3);
            }
            if (version >= 2) {
                assertThat(count(filled, "usage_events")).as("usage events at V" + version).isEqualTo(2);
            }
        }
        assertThat(migrator.migrate().migrationsExecuted).isEqualTo(latest);
        assertThat(new SchemaVerifier().verify(DriverManager.getConnection(filled.jdbcUrl(), "postgres", "")).ok()).isTrue();
        drop(server, filled);
    }

    /** The schema a fresh database has at each version, 0 to {@code latest}: one database migrated a version at a time. */
    private static List<List<String>> schemasOfEachVersion(TestDatabase server, int latest) throws SQLException {
        DatabaseTarget fresh = create(server, "t_rollback_fresh");
        try {
            List<List<String>> schemas = new ArrayList<>();
            schemas.add(schema(fresh));
            DatabaseMigrator migrator = new DatabaseMigrator(fresh);
            for (int version = 1; version <= latest; version++) {
                migrator.migrateTo(version);
                schemas.add(schema(fresh));
            }
            return schemas;
        } finally {
            drop(server, fresh);
        }
    }

    @Test
    void aRollbackThatCannotCompleteChangesNothing(TestDatabase server) throws Exception {
        DatabaseTarget target = create(server, "t_rollback_refused");
        DatabaseMigrator migrator = new DatabaseMigrator(target);
        migrator.migrate();
        fill(target);
        // since V12 one key may serve a user's deduct and an admin's allocation; V11's schema cannot hold both
        execute(target, "UPDATE credit_transactions SET idempotency_key = 'same-key' WHERE user_id = 'alice@example.com'");
        List<String> before = schema(target);
        int latest = migrator.currentVersion();

        assertThatThrownBy(() -> migrator.rollbackTo(11)).isInstanceOf(SQLException.class);

        assertThat(migrator.currentVersion()).isEqualTo(latest);
        assertThat(schema(target)).isEqualTo(before);
        assertThatThrownBy(() -> migrator.rollbackTo(latest + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> migrator.rollbackTo(-1)).isInstanceOf(IllegalArgumentException.class);
        drop(server, target);
    }

    /** Rows in the tables every version has, written as the services write them at the latest version. */
    private static void fill(DatabaseTarget target) throws SQLException {
        execute(target, """
                INSERT INTO user_credits (user_id, balance, tier) VALUES ('alice@example.com', 90, 'starter'), ('bob@example.com', 5, 'free');
                INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, reason, idempotency_key)
                VALUES ('alice@example.com', 100, 100, 'allocation', 'bonus', 'k1'),
                       ('alice@example.com', -10, 90, 'deduction', 'manual', 'k2'),
                       ('bob@example.com', 5, 5, 'allocation', 'bonus', NULL);
                INSERT INTO usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens, cost, price_version, priced_at)
                VALUES ('e1', now(), 'alice@example.com', 'openai', 'gpt-4o', 1000, 100, 0.0035, 'v1', now()),
                       ('e2', now() - interval '400 days', 'bob@example.com', 'openai', 'gpt-4o', 10, 10, 0.000125, 'v1', now());
                INSERT INTO credit_holds (user_id, request_id, amount, expires_at) VALUES ('alice@example.com', 'req-1', 1, now() + interval '10 minutes');
                INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, record_timestamp, reason, failed_at)
                VALUES ('usage.events.dlq', 0, 0, now(), 'unknown_model', now());
                """);
    }

    private static List<String> schema(DatabaseTarget target) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
             Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(SCHEMA)) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }

    private static long count(DatabaseTarget target, String table) throws SQLException {
        try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
             Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("SELECT count(*) FROM " + table)) {
            result.next();
            return result.getLong(1);
        }
    }

    private static void execute(DatabaseTarget target, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static DatabaseTarget create(TestDatabase server, String prefix) throws SQLException {
        DatabaseTarget target = new DatabaseTarget("jdbc:postgresql://" + server.host() + ":" + server.port() + "/" + prefix + "_"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL), "postgres", "");
        new DatabaseMigrator(target).createDatabaseIfMissing();
        return target;
    }

    private static void drop(TestDatabase server, DatabaseTarget target) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + server.host() + ":" + server.port() + "/postgres", "postgres", "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + target.databaseName() + " WITH (FORCE)");
        }
    }
}
