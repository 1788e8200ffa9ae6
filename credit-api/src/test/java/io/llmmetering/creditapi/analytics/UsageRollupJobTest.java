package io.llmmetering.creditapi.analytics;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.applier.BatchApplier;
import io.llmmetering.creditapi.applier.LedgerDebit;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hourly rollups computed from the ledger, and analytics that equal the ledger for any range: late and
 * out-of-order events (a proxy flushing its buffer after an outage) included, whether their hour was rolled up
 * before they came or not.
 */
@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class UsageRollupJobTest {

    private static final List<String> MODELS = List.of("gpt-4o", "claude-3-5-sonnet", "gemini-1.5-pro");
    private static final List<String> PROVIDERS = List.of("openai", "anthropic");
    private static DataSource dataSource;
    private static BatchApplier applier;
    private static UsageAnalytics analytics;
    private static UsageRollupJob job;

    @BeforeAll
    static void migrate(TestDatabase database) {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        dataSource = database.dataSource();
        applier = new BatchApplier(dataSource, "rollup-test");
        analytics = new UsageAnalytics(dataSource);
        job = new UsageRollupJob(dataSource, Duration.ZERO, 1000);
    }

    private static LedgerDebit debit(String eventId, String user, String model, String provider, long nanos, Instant occurredAt) {
        return new LedgerDebit(eventId, user, nanos, model, provider, 1000, 100, 0, "balanced", "free",
                occurredAt.toEpochMilli(), occurredAt.toEpochMilli() + 5, "v1", "test");
    }

    @Test
    void aSettledHourIsRolledUpAndTheCurrentOneIsLeftToTheEvents() throws SQLException {
        Instant now = Instant.now();
        Instant earlier = now.truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3)).plusSeconds(600);
        applier.apply(List.of(debit("settled-1", "settled-a", "gpt-4o", "openai", 7, earlier),
                debit("settled-2", "settled-a", "gpt-4o", "openai", 5, earlier.plusSeconds(60)),
                debit("settled-3", "settled-b", "gpt-4o", "openai", 3, now)), List.of());

        List<Instant> rolled = new UsageRollupJob(dataSource, Duration.ofMinutes(2), 1000).run(now);

        assertThat(rolled).contains(earlier.truncatedTo(ChronoUnit.HOURS)).doesNotContain(now.truncatedTo(ChronoUnit.HOURS));
        assertThat(query("SELECT requests || ':' || cost FROM usage_rollups WHERE user_id = 'settled-a' AND granularity = 'hour'"))
                .isEqualTo("2:0.000000012");
        assertThat(query("SELECT count(*)::text FROM usage_rollups WHERE user_id = 'settled-b'")).isEqualTo("0");
        assertThat(query("SELECT count(*)::text FROM usage_rollup_changes WHERE hour = date_trunc('hour', now(), 'UTC')")).isNotEqualTo("0");
    }

    /**
     * The proxy: 120 calls over the last 30 hours, sent in shuffled order in six flushes, with the
     * rollup job running between them. After every flush, every grouping over every range equals the events.
     */
    @Test
    void lateAndOutOfOrderEventsCountInEveryGroupingAsSoonAsTheyAreCharged() throws SQLException {
        Instant now = Instant.now();
        Random random = new Random(7);
        List<LedgerDebit> calls = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            Instant occurred = now.minusMillis(1 + random.nextInt((int) Duration.ofHours(30).toMillis()));
            calls.add(debit("late-" + i, "late-user-" + random.nextInt(3), MODELS.get(random.nextInt(MODELS.size())),
                    PROVIDERS.get(random.nextInt(PROVIDERS.size())), 1 + random.nextInt(50_000_000), occurred));
        }
        Collections.shuffle(calls, random);
        for (int flush = 0; flush < 6; flush++) {
            applier.apply(calls.subList(flush * 20, flush * 20 + 20), List.of());
            assertAnalyticsEqualTheEvents(now);
            job.run(now);
            assertAnalyticsEqualTheEvents(now);
        }
        assertThat(query("SELECT count(*)::text FROM usage_rollup_hours")).isNotEqualTo("0");
        Map<String, Credits> byModel = sums(analytics.usage(Optional.empty(), UsageAnalytics.GroupBy.MODEL, now.minus(Duration.ofDays(2)),
                now.plusSeconds(1), 1000));
        Credits total = byModel.values().stream().reduce(Credits.ZERO, Credits::plus);
        assertThat(total.nanos()).isEqualTo(calls.stream().mapToLong(LedgerDebit::amountNanos).sum() + extraNanos(now));
    }

    @Test
    void anEventCommittedWhileItsHourIsRolledUpIsNotLost() throws Exception {
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(40));
        applier.apply(List.of(debit("race-1", "race-user", "gpt-4o", "openai", 11, hour.plusSeconds(10))), List.of());
        try (Connection inFlight = dataSource.getConnection()) {
            inFlight.setAutoCommit(false);
            try (PreparedStatement event = inFlight.prepareStatement("""
                    INSERT INTO usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens, cost, price_version, priced_at)
                    VALUES ('race-2', ?, 'race-user', 'openai', 'gpt-4o', 1, 1, 0.000000013, 'v1', now())
                    """); PreparedStatement mark = inFlight.prepareStatement("INSERT INTO usage_rollup_changes (hour) VALUES (?)")) {
                event.setTimestamp(1, Timestamp.from(hour.plusSeconds(20)));
                event.executeUpdate();
                mark.setTimestamp(1, Timestamp.from(hour));
                mark.executeUpdate();
            }
            job.run(Instant.now()); // its snapshot cannot see race-2
            inFlight.commit();
        }
        assertThat(query("SELECT cost::text FROM usage_rollups WHERE user_id = 'race-user'")).isEqualTo("0.000000011");
        Credits seen = sums(analytics.usage(Optional.of("race-user"), UsageAnalytics.GroupBy.HOUR, hour, hour.plus(Duration.ofHours(1)), 10))
                .values().stream().reduce(Credits.ZERO, Credits::plus);
        assertThat(seen.nanos()).isEqualTo(24);

        job.run(Instant.now());
        assertThat(query("SELECT cost::text FROM usage_rollups WHERE user_id = 'race-user'")).isEqualTo("0.000000024");
    }

    /** Every grouping, every range: the sums of the analytics equal the sums of the events in the range. */
    private static void assertAnalyticsEqualTheEvents(Instant now) throws SQLException {
        Instant hour = now.truncatedTo(ChronoUnit.HOURS);
        List<Instant[]> ranges = List.of(
                new Instant[]{now.minus(Duration.ofDays(2)), now.plusSeconds(1)},
                new Instant[]{now.minus(Duration.ofMinutes(1711)), now.minus(Duration.ofMinutes(133))},
                new Instant[]{hour.minus(Duration.ofHours(20)), hour.minus(Duration.ofHours(2))},
                new Instant[]{hour.minus(Duration.ofMinutes(150)), hour.minus(Duration.ofMinutes(149))});
        for (Instant[] range : ranges) {
            for (UsageAnalytics.GroupBy groupBy : UsageAnalytics.GroupBy.values()) {
                Map<String, Credits> answer = sums(analytics.usage(Optional.empty(), groupBy, range[0], range[1], 100_000));
                assertThat(answer).as(groupBy + " " + range[0] + ".." + range[1]).isEqualTo(truth(groupBy, range[0], range[1]));
            }
        }
    }

    private static Map<String, Credits> sums(List<UsageAnalytics.Row> rows) {
        Map<String, Credits> sums = new HashMap<>();
        rows.forEach(row -> sums.put(row.key(), row.cost()));
        return sums;
    }

    /** What usage_events hold, grouped as the analytics group: the definition of right. */
    private static Map<String, Credits> truth(UsageAnalytics.GroupBy groupBy, Instant from, Instant to) throws SQLException {
        String key = switch (groupBy) {
            case MODEL -> "model";
            case PROVIDER -> "provider";
            case USER -> "user_id";
            case HOUR -> "to_char(date_trunc('hour', occurred_at, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
            case DAY -> "to_char(date_trunc('day', occurred_at, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
        };
        Map<String, Credits> sums = new HashMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT " + key + ", sum(cost) FROM usage_events WHERE occurred_at >= ? AND occurred_at < ? GROUP BY 1")) {
            s.setTimestamp(1, Timestamp.from(from));
            s.setTimestamp(2, Timestamp.from(to));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    sums.put(rows.getString(1), Credits.ofExact(rows.getBigDecimal(2)));
                }
            }
        }
        return sums;
    }

    /** Events other tests of this class recorded in the last two days. */
    private static long extraNanos(Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT coalesce(sum(cost), 0) FROM usage_events WHERE occurred_at >= ? AND occurred_at < ? AND event_id NOT LIKE 'late-%'")) {
            s.setTimestamp(1, Timestamp.from(now.minus(Duration.ofDays(2))));
            s.setTimestamp(2, Timestamp.from(now.plusSeconds(1)));
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return Credits.ofExact(row.getBigDecimal(1)).nanos();
            }
        }
    }

    private static String query(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql); ResultSet row = s.executeQuery()) {
            return row.next() ? row.getString(1) : null;
        }
    }
}
