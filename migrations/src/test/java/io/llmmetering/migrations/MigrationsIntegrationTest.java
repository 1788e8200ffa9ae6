package io.llmmetering.migrations;

import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class MigrationsIntegrationTest {

    private static TestDatabase database;

    @BeforeAll
    static void migrate(TestDatabase db) {
        database = db;
        new DatabaseMigrator(target(db)).migrate();
    }

    private static DatabaseTarget target(TestDatabase db) {
        return new DatabaseTarget(db.jdbcUrl(), db.user(), "");
    }

    @Test
    void createsTheSeedsFiveTablesAndAtLeastTwentyIndexes() throws SQLException {
        try (Connection connection = database.connect()) {
            SchemaVerifier.Report report = new SchemaVerifier().verify(connection);
            assertThat(report.presentTables()).containsAll(SchemaVerifier.SEED_TABLES);
            assertThat(report.presentIndexes()).hasSizeGreaterThanOrEqualTo(20);
            assertThat(report.missingIndexes()).isEmpty();
            assertThat(report.ok()).isTrue();
        }
    }

    @Test
    void everyIndexTheMigrationsCreateIsOneTheVerifierChecks() throws SQLException {
        try (Connection connection = database.connect()) {
            List<String> created = new SchemaVerifier().verify(connection).presentIndexes().stream()
                    .map(SchemaVerifier.Index::name).toList();
            assertThat(created).containsExactlyInAnyOrderElementsOf(SchemaVerifier.REQUIRED_INDEXES.keySet());
        }
    }

    /**
     * A column that is indexed, or named in an index's predicate or expression, stops PostgreSQL from updating
     * the row in place (HOT); every debit batch changes these columns of thousands of accounts.
     */
    @Test
    void noIndexOfUserCreditsCoversAColumnEveryChargeChanges() throws SQLException {
        List<String> blocking = query("""
                SELECT i.indexrelid::regclass::text || ' covers ' || a.attname
                  FROM pg_index i
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0
                 WHERE i.indrelid = 'user_credits'::regclass
                   AND a.attname IN ('balance', 'balance_version', 'month_to_date_spend', 'spend_month', 'updated_at', 'held')
                   AND (a.attnum = ANY (i.indkey::int2[])
                        OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')
                        OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M'))
                """);
        assertThat(blocking).isEmpty();
    }

    @Test
    void moneyColumnsAreNumeric30Scale9() throws SQLException {
        List<String> wrong = query("""
                SELECT table_name || '.' || column_name FROM information_schema.columns
                 WHERE table_schema = 'public' AND column_name IN ('balance', 'amount', 'balance_after', 'monthly_cap',
                       'cost', 'discount_value', 'month_to_date_spend', 'credit_limit')
                   AND table_name NOT LIKE 'usage\\_events\\_%'
                   AND NOT (data_type = 'numeric' AND numeric_precision = 30 AND numeric_scale = 9)
                """);
        assertThat(wrong).isEmpty();
    }

    @Test
    void theSeedsCouponInsertRunsAsWrittenAndIsIdempotent() throws SQLException {
        String seedInsert = """
                INSERT INTO coupon_codes (code, discount_type, discount_value, max_uses, expires_at)
                VALUES
                    ('WELCOME100', 'fixed', 100.00, 1000, NOW() + INTERVAL '30 days'),
                    ('SAVE50', 'percentage', 50, 500, NOW() + INTERVAL '60 days')
                ON CONFLICT (code) DO NOTHING;
                """;
        execute(seedInsert);
        execute(seedInsert);
        assertThat(query("SELECT code || ':' || discount_type || ':' || discount_value FROM coupon_codes ORDER BY code"))
                .containsExactly("SAVE50:percentage:50.000000000", "WELCOME100:fixed:100.000000000");
    }

    @Test
    void aPercentageCouponAboveOneHundredIsRejected() {
        assertThatThrownBy(() -> execute("INSERT INTO coupon_codes (code, discount_type, discount_value) VALUES ('TOOMUCH', 'percentage', 150)"))
                .isInstanceOf(SQLException.class).hasMessageContaining("coupon_codes_percentage_at_most_100");
    }

    @Test
    void aCouponCannotBeUsedMoreThanItsMaximum() throws SQLException {
        execute("INSERT INTO coupon_codes (code, discount_type, discount_value, max_uses) VALUES ('ONCE', 'fixed', 1, 1)");
        execute("UPDATE coupon_codes SET times_used = times_used + 1 WHERE code = 'ONCE'");
        assertThatThrownBy(() -> execute("UPDATE coupon_codes SET times_used = times_used + 1 WHERE code = 'ONCE'"))
                .isInstanceOf(SQLException.class).hasMessageContaining("coupon_codes_uses_within_max");
    }

    @Test
    void ledgerRowsMustHaveTheSignOfTheirType() throws SQLException {
        execute("INSERT INTO user_credits (user_id) VALUES ('sign@example.com')");
        assertThatThrownBy(() -> execute("""
                INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type)
                VALUES ('sign@example.com', -5, -5, 'allocation')"""))
                .isInstanceOf(SQLException.class).hasMessageContaining("credit_transactions_sign");
        assertThatThrownBy(() -> execute("""
                INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type)
                VALUES ('sign@example.com', 5, 5, 'deduction')"""))
                .isInstanceOf(SQLException.class).hasMessageContaining("credit_transactions_sign");
    }

    @Test
    void anIdempotencyKeyIsUniquePerUser() throws SQLException {
        execute("INSERT INTO user_credits (user_id) VALUES ('idem@example.com'), ('other@example.com')");
        String deduct = "INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, idempotency_key) VALUES ('%s', -1, -1, 'deduction', 'key-1')";
        execute(deduct.formatted("idem@example.com"));
        execute(deduct.formatted("other@example.com"));
        assertThatThrownBy(() -> execute(deduct.formatted("idem@example.com")))
                .isInstanceOf(SQLException.class).hasMessageContaining("idx_credit_transactions_user_id_idempotency_key");
        // another kind of transaction is another namespace: an admin's allocation key is not the user's to take
        execute("INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, idempotency_key) "
                + "VALUES ('idem@example.com', 1, 0, 'allocation', 'key-1')");
    }

    @Test
    void aTransactionForAnUnknownUserIsRejected() {
        assertThatThrownBy(() -> execute("""
                INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type)
                VALUES ('nobody@example.com', 1, 1, 'allocation')"""))
                .isInstanceOf(SQLException.class).hasMessageContaining("foreign key");
    }

    @Test
    void usageEventsAreUniqueOnEventIdAndOccurredAtSoAReplayInsertsNothing() throws SQLException {
        String insert = """
                INSERT INTO usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens,
                                          cost, price_version, priced_at)
                VALUES ('evt-1', '2026-01-15T10:00:00.123Z', 'u', 'openai', 'gpt-4o', 1000, 0, 0.00375, 'v1', now())
                ON CONFLICT (event_id, occurred_at) DO NOTHING
                """;
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            assertThat(statement.executeUpdate(insert)).isEqualTo(1);
            assertThat(statement.executeUpdate(insert)).isZero();
        }
    }

    @Test
    void currentMonthsEventsLandInTheirMonthlyPartition() throws SQLException {
        execute("""
                INSERT INTO usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens,
                                          cost, price_version, priced_at)
                VALUES ('evt-now', now(), 'u', 'openai', 'gpt-4o', 1, 1, 0, 'v1', now())""");
        assertThat(query("SELECT tableoid::regclass::text FROM usage_events WHERE event_id = 'evt-now'"))
                .singleElement().asString().matches("usage_events_p\\d{6}");
    }

    @Test
    void partitionsAreCreatedAheadAndOldOnesDroppedAndStrandedRowsMoved() throws SQLException {
        execute("""
                INSERT INTO usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens,
                                          cost, price_version, priced_at)
                VALUES ('evt-1999', '1999-06-15T12:00:00Z', 'u', 'openai', 'gpt-4o', 1, 1, 0, 'v1', now())""");
        assertThat(query("SELECT tableoid::regclass::text FROM usage_events WHERE event_id = 'evt-1999'")).containsExactly("usage_events_default");

        assertThat(query("SELECT usage_events_create_partitions('1999-05-01', 3)"))
                .containsExactly("usage_events_p199905", "usage_events_p199906", "usage_events_p199907");
        assertThat(query("SELECT tableoid::regclass::text FROM usage_events WHERE event_id = 'evt-1999'")).containsExactly("usage_events_p199906");
        assertThat(query("SELECT usage_events_create_partitions('1999-05-01', 3)")).isEmpty();

        assertThat(query("SELECT usage_events_drop_partitions_before('1999-07-01')"))
                .containsExactly("usage_events_p199905", "usage_events_p199906");
        assertThat(query("SELECT count(*)::text FROM usage_events WHERE event_id = 'evt-1999'")).containsExactly("0");
        assertThat(query("SELECT to_regclass('usage_events_default')::text")).containsExactly("usage_events_default");
    }

    @Test
    void aFailingMigrationLeavesTheDatabaseAsItWas() throws SQLException {
        DatabaseMigrator withBrokenMigration = new DatabaseMigrator(target(database),
                List.of(DatabaseMigrator.MIGRATIONS_LOCATION, "classpath:db/broken"));

        assertThatThrownBy(withBrokenMigration::migrate).isInstanceOf(FlywayException.class);

        assertThat(query("SELECT coalesce(to_regclass('must_not_survive')::text, 'absent')")).containsExactly("absent");
        assertThat(query("SELECT column_name FROM information_schema.columns WHERE table_name = 'user_credits' AND column_name = 'must_not_survive_either'"))
                .isEmpty();
        int latest = Integer.parseInt(new DatabaseMigrator(target(database)).latestVersion());
        assertThat(query("SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank"))
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, latest).mapToObj(Integer::toString).toList());
        assertThat(new DatabaseMigrator(target(database)).pending()).isEmpty();
    }

    @Test
    void migratingTwiceChangesNothing() {
        assertThat(new DatabaseMigrator(target(database)).migrate().migrationsExecuted).isZero();
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<String> query(String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection connection = database.connect(); PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }
}
