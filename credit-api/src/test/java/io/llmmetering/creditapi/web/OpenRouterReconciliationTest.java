package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.openrouter.FernetCipher;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.CreditAlert;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** OpenRouter accounts (stored as Fernet tokens, shown masked) and reconciliation against a fake provider, every mismatch kind. */
@Tag("integration")
class OpenRouterReconciliationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();

    @Test
    void aKeyIsStoredAsAFernetTokenShownMaskedRotatableAndRevocable() throws Exception {
        String user = "or-key-" + System.nanoTime() + "@example.com";
        String key = "sk-or-v1-" + "a1".repeat(30);
        JsonNode registered = JSON.readTree(api.put("/api/v1/admin/users/" + user + "/openrouter-account", admin,
                "{\"api_key\":\"" + key + "\",\"label\":\"team key\",\"credit_limit\":50}").body());
        assertThat(registered.get("api_key").asString()).isEqualTo("sk-or-v1-a1a…a1a1").doesNotContain(key);
        assertThat(registered.toString()).doesNotContain(key);
        try (Connection c = api.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT openrouter_key_encrypted FROM openrouter_accounts WHERE user_id = ? AND status = 'active'")) {
            s.setString(1, user);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                assertThat(row.getString(1)).startsWith("gAAAAA").doesNotContain(key);
                // the seed's Python system, holding the same ENCRYPTION_KEY, reads it back
                assertThat(new FernetCipher(ApiServer.ENCRYPTION_KEY).decrypt(row.getString(1))).isEqualTo(key);
            }
        }
        assertThat(api.get("/api/v1/openrouter/account", api.userToken(user)).body()).contains("\"api_key\":\"sk-or-v1-a1a…a1a1\"");
        assertThat(api.get("/api/v1/openrouter/account", api.userToken("nobody-" + System.nanoTime())).statusCode()).isEqualTo(404);
        assertThat(api.put("/api/v1/admin/users/" + user + "/openrouter-account", api.userToken(user), "{\"api_key\":\"sk-or-v1-mine-now\"}")
                .statusCode()).isEqualTo(403);

        JsonNode rotated = JSON.readTree(api.put("/api/v1/admin/users/" + user + "/openrouter-account", admin, "{\"api_key\":\"sk-or-v1-rotated-key-0001\"}").body());
        assertThat(rotated.get("id").asString()).isEqualTo(registered.get("id").asString());
        assertThat(rotated.get("api_key").asString()).isEqualTo("sk-or-v1-rot…0001");
        assertThat(api.send("DELETE", "/api/v1/admin/users/" + user + "/openrouter-account", admin, null).statusCode()).isEqualTo(204);
        assertThat(api.get("/api/v1/admin/users/" + user + "/openrouter-account", admin).statusCode()).isEqualTo(404);
        assertThat(api.put("/api/v1/admin/users/" + user + "/openrouter-account", admin, "{\"api_key\":\"has space in it\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void reconciliationReportsMatchesCostDifferencesAndCallsMissingOnEitherSide() throws Exception {
        String user = "or-recon-" + System.nanoTime() + "@example.com";
        String key = "sk-or-v1-recon-" + System.nanoTime();
        api.openRouter.keys.add(key);
        api.put("/api/v1/admin/users/" + user + "/tier", admin, "{\"tier\":\"professional\"}");
        api.put("/api/v1/admin/users/" + user + "/openrouter-account", admin, "{\"api_key\":\"" + key + "\"}");
        String run = Long.toString(System.nanoTime());
        Instant now = Instant.now();
        // our ledger: four OpenRouter calls at the professional tier (x1.6), balanced power
        long[] ourNanos = {16_000_000, 1_600_000, 5_000_000, 1_600_010};
        try (KafkaProducer<String, Debit> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, api.broker.bootstrapServers()),
                new StringSerializer(), AvroSerde.of(Debit.class).serializer())) {
            for (int i = 0; i < ourNanos.length; i++) {
                producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, user, Debit.newBuilder().setEventId("gen-" + run + "-" + i).setUserId(user)
                        .setAmountNanos(ourNanos[i]).setModel("openai/gpt-4o").setProvider("openrouter").setInputTokens(1000).setOutputTokens(200)
                        .setPowerLevel("balanced").setTier("professional").setOccurredAt(now.minusSeconds(60)).setPricedAt(now)
                        .setPriceVersion("test").build())).get();
            }
        }
        // the provider: gen 0 costs what we charged before markup, gen 1 costs less, gen 2 it has never heard of,
        // gen 3 differs by rounding; and its activity counts five calls, one of which we never metered
        api.openRouter.generations.put("gen-" + run + "-0", new FakeOpenRouter.Generation(key, "gen-" + run + "-0", "0.01", "openai/gpt-4o"));
        api.openRouter.generations.put("gen-" + run + "-1", new FakeOpenRouter.Generation(key, "gen-" + run + "-1", "0.0015", "openai/gpt-4o"));
        api.openRouter.generations.put("gen-" + run + "-3", new FakeOpenRouter.Generation(key, "gen-" + run + "-3", "0.001", "openai/gpt-4o"));
        String today = LocalDate.ofInstant(now.minusSeconds(60), ZoneOffset.UTC).toString();
        api.openRouter.activity.add(new FakeOpenRouter.Activity(key, today, "openai/gpt-4o", "0.0155", 5));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events(user) >= 4);

        WebhookReceiver receiver = new WebhookReceiver(0, WebhookReceiver.Behaviour.NORMAL);
        receiver.secret(JSON.readTree(api.post("/api/v1/admin/webhooks", admin, "{\"url\":\"" + receiver.url()
                + "\",\"event_types\":[\"reconciliation.mismatch\"]}").body()).get("secret").asString());
        String from = URLEncoder.encode(now.minus(Duration.ofHours(1)).toString(), StandardCharsets.UTF_8);
        String to = URLEncoder.encode(now.plusSeconds(60).toString(), StandardCharsets.UTF_8);
        JsonNode report = JSON.readTree(api.post("/api/v1/admin/reconciliation/openrouter?from=" + from + "&to=" + to, admin, null).body());

        List<JsonNode> mismatches = ofUser(report.get("cost_mismatches"), user);
        assertThat(mismatches).hasSize(1);
        assertThat(mismatches.get(0).get("request_id").asString()).isEqualTo("gen-" + run + "-1");
        assertThat(mismatches.get(0).get("our_cost_before_markup").asString()).isEqualTo("0.001");
        assertThat(mismatches.get(0).get("provider_cost").asString()).isEqualTo("0.0015");
        assertThat(ofUser(report.get("missing_at_provider"), user)).singleElement()
                .satisfies(m -> assertThat(m.get("request_id").asString()).isEqualTo("gen-" + run + "-2"));
        assertThat(ofUser(report.get("missing_in_ledger"), user)).singleElement().satisfies(m -> {
            assertThat(m.get("provider_requests").asLong()).isEqualTo(5);
            assertThat(m.get("our_requests").asLong()).isEqualTo(4);
        });
        assertThat(report.get("matched").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(api.get("/api/v1/admin/users/" + user + "/openrouter-account", admin).body()).contains("\"provider_reported_usage\":0.0155");
        assertThat(alerts(user)).anySatisfy(alert -> {
            assertThat(alert.getKind()).isEqualTo("reconciliation_mismatch");
            assertThat(alert.getObservedNanos()).isEqualTo(3);
        });
        try (receiver) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.requests.stream().anyMatch(r -> r.body().contains(user)));
            JsonNode event = JSON.readTree(receiver.requests.stream().filter(r -> r.body().contains(user)).findFirst().orElseThrow().body());
            assertThat(event.get("type").asString()).isEqualTo("reconciliation.mismatch");
            assertThat(event.get("data").get("differences").asInt()).isEqualTo(3);
            assertThat(receiver.requests).allMatch(WebhookReceiver.Received::verified);
        }
        assertThat(api.post("/api/v1/admin/reconciliation/openrouter?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", admin, null).statusCode())
                .isEqualTo(400);
    }

    private static List<JsonNode> ofUser(JsonNode rows, String user) {
        List<JsonNode> mine = new ArrayList<>();
        rows.forEach(row -> {
            if (row.get("user_id").asString().equals(user)) {
                mine.add(row);
            }
        });
        return mine;
    }

    private long events(String user) throws Exception {
        try (Connection c = api.dataSource().getConnection(); PreparedStatement s = c.prepareStatement("SELECT count(*) FROM usage_events WHERE user_id = ?")) {
            s.setString(1, user);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    private List<CreditAlert> alerts(String user) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, api.broker.bootstrapServers()),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.CREDIT_ALERTS).stream()
                    .map(p -> new TopicPartition(Topics.CREDIT_ALERTS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<CreditAlert> alerts = new ArrayList<>();
            Awaitility.await("credit.alerts read to its end").atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    CreditAlert alert = AvroSerde.of(CreditAlert.class).deserialize(Topics.CREDIT_ALERTS, record.value());
                    if (alert.getUserId().equals(user)) {
                        alerts.add(alert);
                    }
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
            });
            return alerts;
        }
    }
}
