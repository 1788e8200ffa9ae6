package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.analytics.UsageRollupJob;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Analytics against the ledger through the API: a generated workload over the last six hours goes through the
 * debit applier, the rollup job rolls its settled hours up, and every grouping over aligned and unaligned
 * ranges sums exactly to what the events cost.
 */
@Tag("integration")
class UsageAnalyticsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ApiServer api = ApiServer.get();
    private static final String RUN = "analytics-" + System.nanoTime();
    private static final List<String> USERS = List.of(RUN + "-a", RUN + "-b", RUN + "-c", RUN + "-d", RUN + "-e");
    private static final List<String> MODELS = List.of("gpt-4o", "claude-3-5-sonnet", "gemini-1.5-pro");
    private static final Instant NOW = Instant.now();

    @BeforeAll
    static void generateAWorkloadAndItsRollups() throws Exception {
        Random random = new Random(42);
        try (KafkaProducer<String, Debit> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, api.broker.bootstrapServers()),
                new StringSerializer(), AvroSerde.of(Debit.class).serializer())) {
            for (int i = 0; i < 400; i++) {
                String user = USERS.get(random.nextInt(USERS.size()));
                Instant occurred = NOW.minusMillis(1 + random.nextInt((int) Duration.ofHours(6).toMillis()));
                producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, user, Debit.newBuilder().setEventId(RUN + "-" + i).setUserId(user)
                        .setAmountNanos(1 + random.nextInt(50_000_000)).setModel(MODELS.get(random.nextInt(MODELS.size()))).setProvider("p")
                        .setInputTokens(random.nextInt(5000)).setOutputTokens(random.nextInt(1000)).setPowerLevel("balanced").setTier("free")
                        .setOccurredAt(occurred).setPricedAt(NOW).setPriceVersion("test").build()));
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(count("SELECT count(*) FROM usage_events WHERE user_id LIKE ?")).isEqualTo(400));
        // the hours before the current one rolled up, as the rollup job does once they have settled
        new UsageRollupJob(api.dataSource(), Duration.ZERO, 1000).run(NOW);
    }

    private static long count(String sql) throws Exception {
        try (Connection c = api.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, RUN + "%");
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    /** What the events in [from, to) of one user cost, straight from usage_events. */
    private static BigDecimal truth(String user, Instant from, Instant to) throws Exception {
        try (Connection c = api.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT coalesce(sum(cost), 0) FROM usage_events WHERE user_id = ? AND occurred_at >= ? AND occurred_at < ?")) {
            s.setString(1, user);
            s.setTimestamp(2, java.sql.Timestamp.from(from));
            s.setTimestamp(3, java.sql.Timestamp.from(to));
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getBigDecimal(1);
            }
        }
    }

    private static JsonNode usage(String path) throws Exception {
        return JSON.readTree(api.get(path, api.adminToken()).body());
    }

    private static String range(Instant from, Instant to) {
        return "from=" + URLEncoder.encode(from.toString(), StandardCharsets.UTF_8) + "&to=" + URLEncoder.encode(to.toString(), StandardCharsets.UTF_8);
    }

    @Test
    void everyGroupingSumsExactlyToTheEventsForAlignedAndUnalignedRanges() throws Exception {
        Instant hour = NOW.truncatedTo(ChronoUnit.HOURS);
        List<Instant[]> ranges = List.of(
                new Instant[]{NOW.minus(Duration.ofHours(7)), NOW.plusSeconds(1)},
                new Instant[]{NOW.minus(Duration.ofMinutes(331)), NOW.minus(Duration.ofMinutes(133))},
                new Instant[]{hour.minus(Duration.ofHours(5)), hour.minus(Duration.ofHours(1))},
                new Instant[]{hour.minus(Duration.ofMinutes(150)), hour.minus(Duration.ofMinutes(149))});
        for (Instant[] range : ranges) {
            for (String user : USERS) {
                BigDecimal expected = truth(user, range[0], range[1]);
                for (String groupBy : List.of("model", "provider", "hour", "day")) {
                    JsonNode answer = usage("/api/v1/admin/users/" + user + "/usage?group_by=" + groupBy + "&" + range(range[0], range[1]));
                    assertThat(answer.get("totals").get("cost").decimalValue()).as(user + " " + groupBy + " " + range[0] + ".." + range[1])
                            .isEqualByComparingTo(expected);
                    BigDecimal rows = BigDecimal.ZERO;
                    for (JsonNode row : answer.get("rows")) {
                        rows = rows.add(row.get("cost").decimalValue());
                    }
                    assertThat(rows).isEqualByComparingTo(expected);
                }
            }
        }
    }

    @Test
    void theWholeWindowMatchesTheLedgerToTheNanoCredit() throws Exception {
        for (String user : USERS) {
            JsonNode answer = usage("/api/v1/admin/users/" + user + "/usage?" + range(NOW.minus(Duration.ofHours(7)), NOW.plusSeconds(1)));
            try (Connection c = api.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                    "SELECT -sum(amount) FROM credit_transactions WHERE user_id = ? AND transaction_type = 'usage'")) {
                s.setString(1, user);
                try (ResultSet row = s.executeQuery()) {
                    row.next();
                    assertThat(answer.get("totals").get("cost").decimalValue()).isEqualByComparingTo(row.getBigDecimal(1));
                }
            }
        }
    }

    @Test
    void anHourlySeriesHasEveryBucketOldestFirstAndTopSpendersAreRanked() throws Exception {
        Instant from = NOW.minus(Duration.ofHours(6)).truncatedTo(ChronoUnit.HOURS);
        JsonNode series = usage("/api/v1/admin/users/" + USERS.get(0) + "/usage?group_by=hour&" + range(from, NOW.plusSeconds(1)));
        JsonNode rows = series.get("rows");
        assertThat(rows.size()).isEqualTo(7);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(Instant.parse(rows.get(i).get("key").asString())).isEqualTo(from.plus(i, ChronoUnit.HOURS));
        }
        JsonNode top = usage("/api/v1/admin/usage?group_by=user&limit=1000&" + range(NOW.minus(Duration.ofHours(7)), NOW.plusSeconds(1)));
        BigDecimal previous = null;
        int ours = 0;
        for (JsonNode row : top.get("rows")) {
            BigDecimal cost = row.get("cost").decimalValue();
            if (previous != null) {
                assertThat(cost).isLessThanOrEqualTo(previous);
            }
            previous = cost;
            if (USERS.contains(row.get("key").asString())) {
                ours++;
                assertThat(cost).isEqualByComparingTo(truth(row.get("key").asString(), NOW.minus(Duration.ofHours(7)), NOW.plusSeconds(1)));
            }
        }
        assertThat(ours).isEqualTo(USERS.size());
        assertThat(api.get("/api/v1/admin/usage?group_by=tenant", api.adminToken()).statusCode()).isEqualTo(400);
        assertThat(api.get("/api/v1/admin/usage?" + range(NOW.minus(Duration.ofDays(500)), NOW), api.adminToken()).statusCode()).isEqualTo(400);
    }
}
