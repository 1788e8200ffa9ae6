package io.llmmetering.creditapi.applier;

import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The binary COPY of usage events stores exactly what the debits say, as PostgreSQL reads it back. */
@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class UsageEventsCopyTest {

    private static DataSource dataSource;

    @BeforeAll
    static void migrate(TestDatabase database) {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        dataSource = database.dataSource();
    }

    private static LedgerDebit debit(String eventId, String user, long nanos, long occurredAt) {
        return new LedgerDebit(eventId, user, nanos, "gpt-4o", "openai", 1200, 350, 100, "balanced", "free", occurredAt, occurredAt + 7,
                "2025-11-01", "litellm");
    }

    @Test
    void everyCostIsStoredToTheNanoCredit() throws SQLException {
        List<Long> costs = new ArrayList<>(List.of(0L, 1L, 9L, 10_000L, 999_999_999L, 1_000_000_000L, 1_000_000_001L, 10_000_000_000_000L,
                123_456_789_123_456_789L, 100_000_000L, 9_999_999_999_999L, Long.MAX_VALUE));
        Random random = new Random(11);
        for (int i = 0; i < 500; i++) {
            costs.add((random.nextLong() >>> 1) >>> random.nextInt(63));
        }
        List<LedgerDebit> debits = new ArrayList<>();
        for (int i = 0; i < costs.size(); i++) {
            debits.add(debit("cost-" + i, "copy-costs", costs.get(i), 1_764_000_000_000L + i));
        }
        copy(debits);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT event_id, cost FROM usage_events WHERE user_id = 'copy-costs'"); ResultSet rows = s.executeQuery()) {
            int read = 0;
            while (rows.next()) {
                long nanos = costs.get(Integer.parseInt(rows.getString(1).substring("cost-".length())));
                assertThat(rows.getBigDecimal(2)).as("cost of " + nanos + " nanos").isEqualTo(BigDecimal.valueOf(nanos, 9));
                read++;
            }
            assertThat(read).isEqualTo(costs.size());
        }
    }

    @Test
    void textTimestampsAndCountsComeBackAsTheyWent() throws SQLException {
        long occurred = Instant.parse("2026-11-25T10:15:30.123Z").toEpochMilli();
        String awkward = "tab\there \\ back\\slash, newline\n, \u00e9t\u00e9 \u4e2d\u6587 \ud83d\ude80";
        copy(List.of(new LedgerDebit("copy-" + awkward, awkward, 3_750_000L, "claude-3-5-sonnet", "anthropic", 1200, 350, 100,
                "precision", "enterprise", occurred, occurred + 7, "v\t9", "gate\\way")));
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
                SELECT event_id, occurred_at, provider, model, input_tokens, output_tokens, cached_input_tokens, power_level, tier, cost,
                       price_version, source, priced_at, metadata::text FROM usage_events WHERE user_id = ?
                """)) {
            s.setString(1, awkward);
            try (ResultSet row = s.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(row.getString(1)).isEqualTo("copy-" + awkward);
                assertThat(row.getTimestamp(2).toInstant()).isEqualTo(Instant.ofEpochMilli(occurred));
                assertThat(row.getString(3)).isEqualTo("anthropic");
                assertThat(row.getString(4)).isEqualTo("claude-3-5-sonnet");
                assertThat(row.getLong(5)).isEqualTo(1200);
                assertThat(row.getLong(6)).isEqualTo(350);
                assertThat(row.getLong(7)).isEqualTo(100);
                assertThat(row.getString(8)).isEqualTo("precision");
                assertThat(row.getString(9)).isEqualTo("enterprise");
                assertThat(row.getBigDecimal(10)).isEqualTo(new BigDecimal("0.003750000"));
                assertThat(row.getString(11)).isEqualTo("v\t9");
                assertThat(row.getString(12)).isEqualTo("gate\\way");
                assertThat(row.getTimestamp(13).toInstant()).isEqualTo(Instant.ofEpochMilli(occurred + 7));
                assertThat(row.getString(14)).isEqualTo("{}");
                assertThat(row.next()).isFalse();
            }
        }
    }

    @Test
    void anEventRecordedBeforeFailsTheCopyOnTheUniqueKey() throws SQLException {
        copy(List.of(debit("copy-twice", "copy-dup", 5, 1_764_000_000_000L)));
        assertThatThrownBy(() -> copy(List.of(debit("copy-new", "copy-dup", 5, 1_764_000_000_001L),
                debit("copy-twice", "copy-dup", 5, 1_764_000_000_000L))))
                .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
    }

    /** A time past what a long of microseconds holds wrapped silently into another time; now it fails, to be isolated. */
    @Test
    void aTimeNoTimestampHoldsFailsTheEncodingInsteadOfWrapping() {
        LedgerDebit faraway = new LedgerDebit("far", "u", 1, "gpt-4o", "openai", 1, 1, 0, "balanced", "free",
                Long.MAX_VALUE / 10, 0, "v", "s");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> UsageEventsCopy.encode(List.of(faraway)))
                .isInstanceOf(ArithmeticException.class);
    }

    private static void copy(List<LedgerDebit> debits) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            UsageEventsCopy.copy(c, debits);
        }
    }
}
