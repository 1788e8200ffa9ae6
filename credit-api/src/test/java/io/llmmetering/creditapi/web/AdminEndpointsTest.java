package io.llmmetering.creditapi.web;

import io.llmmetering.core.keys.IngestApiKeys;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin endpoints: accounts, coupons, ingest keys and prices, including what they publish to Kafka. */
@Tag("integration")
class AdminEndpointsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();

    private static void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains("\"type\":\"https://llm-metering.dev/problems/" + type + "\"");
    }

    private <T extends org.apache.avro.specific.SpecificRecord> List<T> readAll(String topic, Class<T> type) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                api.broker.bootstrapServers()), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<T> values = new ArrayList<>();
            AvroSerde<T> serde = AvroSerde.of(type);
            Awaitility.await(topic + " read to its end").atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(serde.deserialize(topic, record.value()));
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
            });
            return values;
        }
    }

    @Test
    void settingATierPublishesTheAccountStateForPricing() throws Exception {
        String user = "tiered-" + System.nanoTime() + "@example.com";
        HttpResponse<String> response = api.put("/api/v1/admin/users/" + user + "/tier", admin, "{\"tier\":\"enterprise\"}");
        assertThat(response.body()).isEqualTo("{\"user_id\":\"" + user + "\",\"tier\":\"enterprise\",\"monthly_cap\":null,\"status\":\"active\"}");
        assertThat(readAll(Topics.CREDIT_ACCOUNTS, AccountState.class)).anySatisfy(state -> {
            assertThat(state.getUserId()).isEqualTo(user);
            assertThat(state.getTier()).isEqualTo("enterprise");
        });
        assertThat(api.get("/api/v1/admin/users/" + user + "/balance", admin).body()).contains("\"tier\":\"enterprise\"");
        HttpResponse<String> unknown = api.put("/api/v1/admin/users/" + user + "/tier", admin, "{\"tier\":\"platinum\"}");
        assertProblem(unknown, 400, "unknown-tier");
        assertThat(unknown.body()).contains("professional");
        assertProblem(api.put("/api/v1/admin/users/" + user + "/tier", admin, "{\"tier\":\"Robert'); DROP TABLE--\"}"), 400, "validation");
        assertProblem(api.put("/api/v1/admin/users/" + user + "/monthly-cap", admin, "{\"monthly_cap\":-1}"), 400, "validation");
    }

    @Test
    void anAdminReadsAnyUsersLedger() throws Exception {
        String user = "audited-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":12.5,\"reason\":\"refund for outage\"}");
        JsonNode rows = JSON.readTree(api.get("/api/v1/admin/users/" + user + "/transactions", admin).body()).get("transactions");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("reason").asString()).isEqualTo("refund for outage");
        try (Connection c = api.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT created_by FROM credit_transactions WHERE user_id = ?")) {
            s.setString(1, user);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                assertThat(row.getString(1)).isEqualTo("admin@example.com");
            }
        }
        assertProblem(api.post("/api/v1/admin/credits/allocate", admin, "{\"amount\":1}"), 400, "validation");
    }

    @Test
    void anIngestKeyIsShownOnceStoredHashedListedMaskedAndRevocable() throws Exception {
        HttpResponse<String> created = api.post("/api/v1/admin/ingest-keys", admin, "{\"name\":\"proxy-eu-1\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode key = JSON.readTree(created.body());
        String secret = key.get("key").asString();
        assertThat(secret).matches("mk_[0-9a-f]{12}_[0-9a-f]{28}");
        try (Connection c = api.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT key_hash FROM ingest_api_keys WHERE id = ?::uuid")) {
            s.setString(1, key.get("id").asString());
            try (ResultSet row = s.executeQuery()) {
                row.next();
                assertThat(row.getBytes(1)).isEqualTo(IngestApiKeys.sha256(secret));
            }
        }
        String listed = api.get("/api/v1/admin/ingest-keys", admin).body();
        assertThat(listed).contains(IngestApiKeys.prefixOf(secret) + "_****").doesNotContain(secret);

        assertThat(api.send("DELETE", "/api/v1/admin/ingest-keys/" + key.get("id").asString(), admin, null).statusCode()).isEqualTo(204);
        assertThat(api.get("/api/v1/admin/ingest-keys", admin).body()).doesNotContain(key.get("id").asString());
        assertThat(api.get("/api/v1/admin/ingest-keys?include_revoked=true", admin).body()).contains(key.get("id").asString());
        assertProblem(api.send("DELETE", "/api/v1/admin/ingest-keys/00000000-0000-0000-0000-000000000000", admin, null), 404, "not-found");
        assertProblem(api.send("DELETE", "/api/v1/admin/ingest-keys/not-a-uuid", admin, null), 400, "validation");
        assertProblem(api.post("/api/v1/admin/ingest-keys", admin, "{\"name\":\"\"}"), 400, "validation");
    }

    @Test
    void couponsAreValidatedAndListed() throws Exception {
        String code = "LIST" + System.nanoTime();
        assertThat(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"" + code + "\",\"discount_type\":\"fixed\",\"discount_value\":3}")
                .statusCode()).isEqualTo(201);
        assertProblem(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"" + code + "\",\"discount_type\":\"fixed\",\"discount_value\":3}"),
                409, "conflict");
        assertThat(api.get("/api/v1/admin/coupons", admin).body()).contains("\"code\":\"" + code + "\"");
        assertProblem(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"X" + System.nanoTime() + "\",\"discount_type\":\"bogus\",\"discount_value\":3}"),
                400, "validation");
        assertProblem(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"P" + System.nanoTime() + "\",\"discount_type\":\"percentage\",\"discount_value\":101}"),
                400, "validation");
        assertProblem(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"a b\",\"discount_type\":\"fixed\",\"discount_value\":1}"), 400, "validation");
        assertProblem(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"M" + System.nanoTime() + "\",\"discount_type\":\"fixed\",\"discount_value\":1,\"max_uses\":0}"),
                400, "validation");
        assertProblem(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"E" + System.nanoTime() + "\",\"discount_type\":\"fixed\",\"discount_value\":1,\"expires_at\":\"tomorrow\"}"),
                400, "validation");
        assertProblem(api.post("/api/v1/admin/coupons/NOPE" + System.nanoTime() + "/deactivate", admin, null), 404, "not-found");
    }

    @Test
    void aNewModelPriceIsPublishedAndQuotedOnceTheFeedHasReadIt() throws Exception {
        String model = "house-model-" + System.nanoTime();
        HttpResponse<String> set = api.put("/api/v1/admin/pricing/models/" + model, admin,
                "{\"provider\":\"self-hosted\",\"input_per_1k\":0.001,\"output_per_1k\":0.002}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(readAll(Topics.PRICING_MODELS, ModelPrice.class)).anySatisfy(price -> assertThat(price.getModel()).isEqualTo(model));
        String body = "{\"input_tokens\":1000,\"output_tokens\":1000,\"model\":\"" + model + "\"}";
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(api.post("/api/v1/credits/calculate-cost", null, body).body()).isEqualTo("{\"cost\":0.003}"));
        assertProblem(api.put("/api/v1/admin/pricing/models/" + model, admin, "{\"provider\":\"x\",\"input_per_1k\":-1,\"output_per_1k\":1}"),
                400, "validation");
        assertProblem(api.put("/api/v1/admin/pricing/models/" + model, admin, "{\"provider\":\"x\",\"output_per_1k\":1}"), 400, "validation");
    }

    @Test
    @org.junit.jupiter.api.Tag("security")
    void systemStatusHealthMetricsAndTheOpenApiDocumentArePublicAndOnlyAdminsSeeTheDetails() throws Exception {
        HttpResponse<String> anonymous = api.get("/api/v1/system/status", null);
        assertThat(anonymous.statusCode()).isEqualTo(200);
        // anyone may see whether the system is up; versions and components are for admins
        assertThat(JSON.readTree(anonymous.body()).get("status").asString()).isEqualTo("ok");
        assertThat(anonymous.body()).doesNotContain("components", "version", "postgresql");
        HttpResponse<String> status = api.get("/api/v1/system/status", api.adminToken());
        assertThat(status.statusCode()).isEqualTo(200);
        JsonNode components = JSON.readTree(status.body()).get("components");
        assertThat(components.get("postgresql").get("status").asString()).isEqualTo("up");
        assertThat(components.get("redis").get("status").asString()).isEqualTo("up");
        assertThat(components.get("kafka").get("status").asString()).isEqualTo("up");
        assertThat(components.get("debit_applier").get("lag").isNumber()).isTrue();
        assertThat(components.get("debit_applier").get("dead_lettered").isNumber()).isTrue();
        assertThat(api.get("/healthz", null).statusCode()).isEqualTo(200);
        assertThat(api.management("/actuator/prometheus").body()).contains("http_server_requests_seconds", "credit_cache_requests_total");
        String openApi = api.get("/v3/api-docs", null).body();
        assertThat(openApi).contains("/api/v1/credits/balance", "/api/v1/admin/credits/allocate", "/api/v1/credits/deduct");
        assertThat(api.get("/swagger-ui/index.html", null).statusCode()).isEqualTo(200);
    }
}
