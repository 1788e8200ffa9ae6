package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.wiring.CreditApiApplication;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spend holds across two credit-api instances on one PostgreSQL: reservation is atomic, the usage event with
 * the hold's request id settles it, a void or the expiry releases it, and the cap and suspension apply.
 */
@Tag("integration")
@Tag("security")
class SpendHoldsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ApiServer api = ApiServer.get();
    private static ConfigurableApplicationContext second;
    private static int secondPort;

    @BeforeAll
    static void startASecondInstance() {
        second = new SpringApplicationBuilder(CreditApiApplication.class).run(
                "--server.port=0", "--management.server.port=0",
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/" + api.database,
                "--spring.kafka.bootstrap-servers=" + api.broker.bootstrapServers(),
                "--credit.redis-url=redis://127.0.0.1:6379/13",
                "--credit.applier.consumer-group=second-instance-applier",
                "--credit.applier.rollup-group=second-instance-rollups",
                "--credit.auth.jwt-secret=" + ApiServer.JWT_SECRET);
        secondPort = ((WebServerApplicationContext) second).getWebServer().getPort();
    }

    @AfterAll
    static void stopIt() {
        second.close();
    }

    private final String service = api.tokens.issue("proxy-eu-1", List.of("service"), Duration.ofMinutes(30));

    private HttpResponse<String> hold(int port, String body) throws Exception {
        return api.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/credits/holds"))
                .header("Authorization", "Bearer " + service).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String funded(String name, String amount) throws Exception {
        String user = name + "-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\":\"" + user + "\",\"amount\":" + amount + "}");
        return user;
    }

    @Test
    void twoHundredConcurrentHoldsFromTwoInstancesOnABalanceForFiftySucceedExactlyFiftyTimes() throws Exception {
        String user = funded("burst", "50");
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int port = i % 2 == 0 ? api.port : secondPort;
            String body = "{\"user_id\":\"" + user + "\",\"request_id\":\"req-" + i + "\",\"estimated_cost\":1}";
            futures.add(pool.submit(() -> hold(port, body)));
        }
        int created = 0;
        int refused = 0;
        for (Future<HttpResponse<String>> future : futures) {
            HttpResponse<String> response = future.get();
            if (response.statusCode() == 201) {
                created++;
            } else if (response.statusCode() == 402 && response.body().contains("insufficient-credits")) {
                refused++;
            }
        }
        pool.shutdownNow();
        assertThat(created).isEqualTo(50);
        assertThat(refused).isEqualTo(150);
        JsonNode check = JSON.readTree(api.get("/api/v1/credits/authorize?user_id=" + user + "&estimated_cost=0.000000001", service).body());
        assertThat(check.get("allowed").asBoolean()).isFalse();
        assertThat(check.get("available").decimalValue()).isEqualByComparingTo("0");
        assertThat(check.get("reason").asString()).isEqualTo("insufficient_credits");
        assertThat(held(user)).isEqualByComparingTo("50");
    }

    @Test
    void theUsageEventWithTheHoldsRequestIdSettlesItAndChargesTheRealCost() throws Exception {
        String user = funded("settle", "1");
        JsonNode placed = JSON.readTree(hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"call-1\",\"model\":\"gpt-4o\","
                + "\"max_tokens\":1000,\"input_tokens\":2000}").body());
        assertThat(placed.get("amount").decimalValue()).isEqualByComparingTo("0.015"); // 2 * 0.0025 + 1 * 0.01
        assertThat(placed.get("available").decimalValue()).isEqualByComparingTo("0.985");
        JsonNode replay = JSON.readTree(hold(secondPort, "{\"user_id\":\"" + user + "\",\"request_id\":\"call-1\",\"model\":\"gpt-4o\","
                + "\"max_tokens\":1000,\"input_tokens\":2000}").body());
        assertThat(replay.get("hold_id").asString()).isEqualTo(placed.get("hold_id").asString());
        assertThat(replay.get("replayed").asBoolean()).isTrue();
        assertThat(hold(secondPort, "{\"user_id\":\"" + user + "\",\"request_id\":\"call-1\",\"estimated_cost\":0.5}").statusCode())
                .isEqualTo(409);

        Instant now = Instant.now();
        try (KafkaProducer<String, Debit> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, api.broker.bootstrapServers()),
                new StringSerializer(), AvroSerde.of(Debit.class).serializer())) {
            producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, user, Debit.newBuilder().setEventId("call-1").setUserId(user)
                    .setAmountNanos(7_000_000).setModel("gpt-4o").setProvider("openai").setInputTokens(2000).setOutputTokens(200)
                    .setPowerLevel("balanced").setTier("free").setOccurredAt(now).setPricedAt(now).setPriceVersion("test").build())).get();
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(held(user)).isEqualByComparingTo("0"));
        assertThat(status(placed.get("hold_id").asString())).isEqualTo("settled");
        JsonNode check = JSON.readTree(api.get("/api/v1/credits/authorize?user_id=" + user + "&estimated_cost=0.5", service).body());
        assertThat(check.get("available").decimalValue()).isEqualByComparingTo("0.993");
        assertThat(check.get("allowed").asBoolean()).isTrue();
    }

    @Test
    void aVoidedHoldIsReleasedAndAnExpiredOneReleasesItself() throws Exception {
        String user = funded("void", "10");
        JsonNode placed = JSON.readTree(hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"v-1\",\"estimated_cost\":4}").body());
        assertThat(api.send("DELETE", "/api/v1/credits/holds/" + placed.get("hold_id").asString(), service, null).body()).contains("\"status\":\"voided\"");
        assertThat(held(user)).isEqualByComparingTo("0");
        assertThat(api.send("DELETE", "/api/v1/credits/holds/" + placed.get("hold_id").asString(), service, null).body()).contains("\"status\":\"voided\"");

        JsonNode shortLived = JSON.readTree(hold(secondPort, "{\"user_id\":\"" + user + "\",\"request_id\":\"v-2\",\"estimated_cost\":6,\"ttl_seconds\":1}").body());
        assertThat(held(user)).isEqualByComparingTo("6");
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(held(user)).isEqualByComparingTo("0"));
        assertThat(status(shortLived.get("hold_id").asString())).isEqualTo("expired");
        assertThat(api.management("/actuator/prometheus").body()).contains("credit_holds_total{outcome=\"expired\"");
    }

    /** Credits reserved for calls in flight are not the user's to spend twice: deduct sees the same "available" as holds. */
    @Test
    void deductCannotSpendWhatHoldsReserveNorPushTheCapPastTheirShare() throws Exception {
        String user = funded("held-deduct", "1.0");
        String token = api.userToken(user);
        assertThat(hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"h-1\",\"estimated_cost\":0.8}").statusCode()).isEqualTo(201);
        HttpResponse<String> overHeld = api.post("/api/v1/credits/deduct", token, "{\"amount\":0.5}");
        assertThat(overHeld.statusCode()).isEqualTo(402);
        assertThat(overHeld.body()).contains("insufficient-credits").contains("0.8 held");
        assertThat(api.post("/api/v1/credits/deduct", token, "{\"amount\":0.2}").statusCode()).isEqualTo(200);
        assertThat(api.post("/api/v1/credits/deduct", token, "{\"amount\":0.000000001}").statusCode()).isEqualTo(402);
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":0.8,");

        String capped = funded("held-cap", "100");
        api.put("/api/v1/admin/users/" + capped + "/monthly-cap", api.adminToken(), "{\"monthly_cap\":5}");
        assertThat(hold(api.port, "{\"user_id\":\"" + capped + "\",\"request_id\":\"h-2\",\"estimated_cost\":4}").statusCode()).isEqualTo(201);
        HttpResponse<String> overCap = api.post("/api/v1/credits/deduct", api.userToken(capped), "{\"amount\":2}");
        assertThat(overCap.statusCode()).isEqualTo(402);
        assertThat(overCap.body()).contains("monthly-cap-reached");
        assertThat(api.post("/api/v1/credits/deduct", api.userToken(capped), "{\"amount\":1}").statusCode()).isEqualTo(200);
    }

    /** A proxy's retries of one call racing each other, on both instances: one hold, one reservation. */
    @Test
    void concurrentRetriesOfOneRequestIdHoldOnceAndAllAnswerThatHold() throws Exception {
        String user = funded("racing-retries", "10");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int port = i % 2 == 0 ? api.port : secondPort;
            futures.add(pool.submit(() -> hold(port, "{\"user_id\":\"" + user + "\",\"request_id\":\"same-call\",\"estimated_cost\":2}")));
        }
        java.util.Set<String> holdIds = new java.util.HashSet<>();
        int created = 0;
        for (Future<HttpResponse<String>> future : futures) {
            HttpResponse<String> response = future.get();
            assertThat(response.statusCode()).as(response.body()).isIn(200, 201);
            created += response.statusCode() == 201 ? 1 : 0;
            holdIds.add(JSON.readTree(response.body()).get("hold_id").asString());
        }
        pool.shutdownNow();
        assertThat(created).isEqualTo(1);
        assertThat(holdIds).hasSize(1);
        assertThat(held(user)).isEqualByComparingTo("2");
    }

    /** The balance tells the whole truth: the seed's fields as they were, and beside them what holds reserve. */
    @Test
    void theUserAndAdminBalanceShowWhatIsHeldAndWhatIsAvailable() throws Exception {
        String user = funded("balance-truth", "10");
        assertThat(hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"b-1\",\"estimated_cost\":2.5}").statusCode()).isEqualTo(201);
        for (HttpResponse<String> balance : List.of(api.get("/api/v1/credits/balance", api.userToken(user)),
                api.get("/api/v1/admin/users/" + user + "/balance", api.adminToken()))) {
            JsonNode view = JSON.readTree(balance.body());
            assertThat(balance.body()).startsWith("{\"balance\":10.0,\"tier\":\"free\",");
            assertThat(view.get("held").decimalValue()).isEqualByComparingTo("2.5");
            assertThat(view.get("available").decimalValue()).isEqualByComparingTo("7.5");
        }
        JsonNode authorize = JSON.readTree(api.get("/api/v1/credits/authorize", api.userToken(user)).body());
        assertThat(authorize.get("available").decimalValue()).isEqualByComparingTo("7.5");
    }

    @Test
    void aRepeatedRequestIdWithAnotherAmountIsAConflictNotTheFirstHold() throws Exception {
        String user = funded("repeat-hold", "10");
        HttpResponse<String> first = hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"r-1\",\"estimated_cost\":1}");
        assertThat(first.statusCode()).isEqualTo(201);
        HttpResponse<String> retry = hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"r-1\",\"estimated_cost\":1.0}");
        assertThat(JSON.readTree(retry.body()).get("hold_id")).isEqualTo(JSON.readTree(first.body()).get("hold_id"));
        HttpResponse<String> other = hold(secondPort, "{\"user_id\":\"" + user + "\",\"request_id\":\"r-1\",\"estimated_cost\":5}");
        assertThat(other.statusCode()).isEqualTo(409);
        assertThat(other.body()).contains("idempotency-key-reused", "already holds 1");
        assertThat(JSON.readTree(api.get("/api/v1/credits/authorize", api.userToken(user)).body()).get("available").decimalValue())
                .isEqualByComparingTo("9");
    }

    @Test
    void holdsRespectTheMonthlyCapAndSuspension() throws Exception {
        String user = funded("capped-hold", "100");
        api.put("/api/v1/admin/users/" + user + "/monthly-cap", api.adminToken(), "{\"monthly_cap\":5}");
        assertThat(hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"c-1\",\"estimated_cost\":3}").statusCode()).isEqualTo(201);
        HttpResponse<String> overCap = hold(api.port, "{\"user_id\":\"" + user + "\",\"request_id\":\"c-2\",\"estimated_cost\":3}");
        assertThat(overCap.statusCode()).isEqualTo(402);
        assertThat(overCap.body()).contains("monthly-cap-reached");
        api.post("/api/v1/admin/users/" + user + "/suspend", api.adminToken(), null);
        HttpResponse<String> suspended = hold(secondPort, "{\"user_id\":\"" + user + "\",\"request_id\":\"c-3\",\"estimated_cost\":1}");
        assertThat(suspended.statusCode()).isEqualTo(402);
        assertThat(suspended.body()).contains("account-suspended");
    }

    @Test
    void aUserCanHoldOnlyForThemselvesAndNeverSeesAnotherUsersHold() throws Exception {
        String alice = funded("alice-hold", "5");
        String mallory = api.userToken("mallory-" + System.nanoTime() + "@example.com");
        HttpResponse<String> forSomeoneElse = api.post("/api/v1/credits/holds", mallory,
                "{\"user_id\":\"" + alice + "\",\"request_id\":\"m-1\",\"estimated_cost\":5}");
        assertThat(forSomeoneElse.statusCode()).isEqualTo(403);
        assertThat(api.get("/api/v1/credits/authorize?user_id=" + alice, mallory).statusCode()).isEqualTo(403);
        JsonNode own = JSON.readTree(api.post("/api/v1/credits/holds", api.userToken(alice), "{\"request_id\":\"a-1\",\"estimated_cost\":1}").body());
        assertThat(api.send("DELETE", "/api/v1/credits/holds/" + own.get("hold_id").asString(), mallory, null).statusCode()).isEqualTo(404);
        assertThat(held(alice)).isEqualByComparingTo("1");
        assertThat(hold(api.port, "{\"user_id\":\"" + alice + "\",\"request_id\":\"a-2\",\"estimated_cost\":-1}").statusCode()).isEqualTo(400);
        assertThat(hold(api.port, "{\"user_id\":\"" + alice + "\",\"estimated_cost\":1}").statusCode()).isEqualTo(400);
        assertThat(hold(api.port, "{\"user_id\":\"" + alice + "\",\"request_id\":\"a-3\",\"estimated_cost\":1,\"ttl_seconds\":86400}").statusCode())
                .isEqualTo(400);
        assertThat(hold(api.port, "{\"user_id\":\"" + alice + "\",\"request_id\":\"a-4\",\"model\":\"gpt-99\",\"max_tokens\":10}").statusCode())
                .isEqualTo(400);
        assertThat(api.send("DELETE", "/api/v1/credits/holds/not-a-uuid", service, null).statusCode()).isEqualTo(400);
    }

    private BigDecimal held(String user) throws Exception {
        try (Connection c = api.dataSource().getConnection(); PreparedStatement s = c.prepareStatement("SELECT held FROM user_credits WHERE user_id = ?")) {
            s.setString(1, user);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getBigDecimal(1);
            }
        }
    }

    private String status(String holdId) throws Exception {
        try (Connection c = api.dataSource().getConnection(); PreparedStatement s = c.prepareStatement("SELECT status FROM credit_holds WHERE id = ?::uuid")) {
            s.setString(1, holdId);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        }
    }
}
