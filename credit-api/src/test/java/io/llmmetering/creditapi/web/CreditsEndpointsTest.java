package io.llmmetering.creditapi.web;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The user endpoints against the real PostgreSQL and Redis: each one's answer, and each one's errors. */
@Tag("integration")
class CreditsEndpointsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();

    private String newUser(String name) {
        return name + "-" + System.nanoTime() + "@example.com";
    }

    private void allocate(String user, String amount) throws Exception {
        assertThat(api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\":\"" + user + "\",\"amount\":" + amount + "}")
                .statusCode()).isEqualTo(200);
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains("\"type\":\"https://llm-metering.dev/problems/" + type + "\"");
    }

    @Test
    void aNewUsersBalanceIsTheSeedsDefaultWithMonthToDateSpendAndStatus() throws Exception {
        HttpResponse<String> response = api.get("/api/v1/credits/balance", api.userToken(newUser("new")));
        assertThat(response.body()).isEqualTo("{\"balance\":0.0,\"tier\":\"free\",\"monthly_cap\":null,\"month_to_date_spend\":0.0,"
                + "\"status\":\"active\",\"spend_blocked_reason\":null,\"held\":0.0,\"available\":0.0}");
    }

    @Test
    void calculateCostPricesInputAndOutputSeparatelyAndAtTheCallersTier() throws Exception {
        assertThat(api.post("/api/v1/credits/calculate-cost", null,
                "{\"input_tokens\":1000,\"output_tokens\":1000,\"model\":\"gpt-4o\",\"power_level\":\"precision\"}").body())
                .isEqualTo("{\"cost\":0.01875}"); // (0.0025 + 0.01) * 1.5
        String pro = newUser("pro");
        api.put("/api/v1/admin/users/" + pro + "/tier", api.adminToken(), "{\"tier\":\"professional\"}");
        assertThat(api.post("/api/v1/credits/calculate-cost", api.userToken(pro), "{\"tokens_used\":1000,\"model\":\"gpt-4o\"}").body())
                .isEqualTo("{\"cost\":0.006}"); // 0.00375 * 1.6
    }

    @Test
    void calculateCostNamesWhatIsWrong() throws Exception {
        HttpResponse<String> unknownModel = api.post("/api/v1/credits/calculate-cost", null, "{\"tokens_used\":1000,\"model\":\"gpt-99\"}");
        assertProblem(unknownModel, 400, "unknown-model");
        HttpResponse<String> unknownLevel = api.post("/api/v1/credits/calculate-cost", null,
                "{\"tokens_used\":1000,\"model\":\"gpt-4o\",\"power_level\":\"turbo\"}");
        assertProblem(unknownLevel, 400, "unknown-power-level");
        assertThat(unknownLevel.body()).contains("eco", "balanced", "precision");
        assertProblem(api.post("/api/v1/credits/calculate-cost", null, "{\"model\":\"gpt-4o\"}"), 400, "validation");
        assertProblem(api.post("/api/v1/credits/calculate-cost", null, "{\"tokens_used\":-1,\"model\":\"gpt-4o\"}"), 400, "invalid-usage");
        assertProblem(api.post("/api/v1/credits/calculate-cost", null, "{\"tokens_used\":1000}"), 400, "validation");
        assertProblem(api.post("/api/v1/credits/calculate-cost", null, "{\"tokens_used\":1e30,\"model\":\"gpt-4o\"}"), 400, "malformed-body");
        HttpResponse<String> form = api.http.send(api.request("/api/v1/credits/calculate-cost").header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("tokens_used=1")).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(form, 415, "unsupported-media-type");
    }

    @Test
    void pricingShowsModelPricesTierMarkupsAndPowerLevels() throws Exception {
        JsonNode pricing = JSON.readTree(api.get("/api/v1/credits/pricing", null).body());
        assertThat(pricing.get("model_pricing").get("gpt-4o").get("input_per_1k").decimalValue()).isEqualByComparingTo("0.0025");
        assertThat(pricing.get("model_pricing").get("gpt-4o").get("output_per_1k").decimalValue()).isEqualByComparingTo("0.01");
        assertThat(pricing.get("model_pricing").size()).isGreaterThanOrEqualTo(30);
        assertThat(pricing.get("tier_markup").get("enterprise").decimalValue()).isEqualByComparingTo("1.8");
        assertThat(pricing.get("power_levels").get("eco").decimalValue()).isEqualByComparingTo("0.75");
        assertThat(pricing.get("formula").asString()).contains("tier_multiplier");
    }

    @Test
    void aDeductThatWouldOverdrawIsRefusedWith402AndChargesNothing() throws Exception {
        String user = newUser("poor");
        allocate(user, "5");
        String token = api.userToken(user);
        HttpResponse<String> refused = api.post("/api/v1/credits/deduct", token, "{\"amount\":5.000000001}");
        assertProblem(refused, 402, "insufficient-credits");
        assertThat(refused.body()).contains("\"reason\":\"insufficient_credits\"");
        assertThat(api.post("/api/v1/credits/deduct", token, "{\"amount\":5}").body()).startsWith("{\"new_balance\":0.0,");
    }

    @Test
    void aRetriedDeductWithTheSameIdempotencyKeyIsChargedOnceAndAReusedKeyIsAConflict() throws Exception {
        String user = newUser("idem");
        allocate(user, "10");
        String token = api.userToken(user);
        HttpResponse<String> first = api.post("/api/v1/credits/deduct", token, "{\"amount\":4}", "Idempotency-Key", "call-1");
        HttpResponse<String> retry = api.post("/api/v1/credits/deduct", token, "{\"amount\":4}", "Idempotency-Key", "call-1");
        assertThat(retry.body()).isEqualTo(first.body().replace("}", ",\"replayed\":true}"));
        assertProblem(api.post("/api/v1/credits/deduct", token, "{\"amount\":5}", "Idempotency-Key", "call-1"), 409, "idempotency-key-reused");
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":6.0,");
        // keys are per user: another user's identical key is a different request
        String other = newUser("idem-other");
        allocate(other, "10");
        assertThat(api.post("/api/v1/credits/deduct", api.userToken(other), "{\"amount\":4}", "Idempotency-Key", "call-1").body())
                .startsWith("{\"new_balance\":6.0,");
        // and per kind of transaction: a user who spends with the key an admin's script will use cannot make the
        // script's allocation, or its retry, answer 409
        String admin = api.adminToken();
        String body = "{\"user_id\":\"" + user + "\",\"amount\":3}";
        HttpResponse<String> allocation = api.post("/api/v1/admin/credits/allocate", admin, body, "Idempotency-Key", "call-1");
        assertThat(allocation.statusCode()).isEqualTo(200);
        assertThat(allocation.body()).startsWith("{\"new_balance\":9.0,");
        assertThat(api.post("/api/v1/admin/credits/allocate", admin, body, "Idempotency-Key", "call-1").body()).contains("\"replayed\":true");
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":9.0,");
    }

    @Test
    void theMonthlyCapAndSuspensionStopDeductsUntilLifted() throws Exception {
        String user = newUser("capped");
        allocate(user, "100");
        String token = api.userToken(user);
        String admin = api.adminToken();
        assertThat(api.put("/api/v1/admin/users/" + user + "/monthly-cap", admin, "{\"monthly_cap\":5}").body())
                .isEqualTo("{\"user_id\":\"" + user + "\",\"tier\":\"free\",\"monthly_cap\":5.0,\"status\":\"active\"}");
        assertThat(api.post("/api/v1/credits/deduct", token, "{\"amount\":4}").statusCode()).isEqualTo(200);
        assertProblem(api.post("/api/v1/credits/deduct", token, "{\"amount\":2}"), 402, "monthly-cap-reached");
        assertThat(api.get("/api/v1/credits/balance", token).body()).contains("\"monthly_cap\":5.0,\"month_to_date_spend\":4.0");
        api.put("/api/v1/admin/users/" + user + "/monthly-cap", admin, "{\"monthly_cap\":null}");
        assertThat(api.post("/api/v1/credits/deduct", token, "{\"amount\":2}").statusCode()).isEqualTo(200);

        api.post("/api/v1/admin/users/" + user + "/suspend", admin, null);
        assertProblem(api.post("/api/v1/credits/deduct", token, "{\"amount\":1}"), 402, "account-suspended");
        assertThat(api.get("/api/v1/credits/balance", token).body()).contains("\"status\":\"suspended\"");
        api.post("/api/v1/admin/users/" + user + "/resume", admin, null);
        assertThat(api.post("/api/v1/credits/deduct", token, "{\"amount\":1}").body()).startsWith("{\"new_balance\":93.0,");
    }

    @Test
    void transactionsArePagedNewestFirstWithACursorAndFilteredByTypeAndTime() throws Exception {
        String user = newUser("pages");
        for (int i = 1; i <= 7; i++) {
            allocate(user, String.valueOf(i));
        }
        String token = api.userToken(user);
        api.post("/api/v1/credits/deduct", token, "{\"amount\":0.5}");

        List<String> amounts = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = JSON.readTree(api.get("/api/v1/credits/transactions?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), token).body());
            page.get("transactions").forEach(row -> amounts.add(row.get("amount").decimalValue().stripTrailingZeros().toPlainString()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asString();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(amounts).containsExactly("-0.5", "7", "6", "5", "4", "3", "2", "1");

        JsonNode allocations = JSON.readTree(api.get("/api/v1/credits/transactions?type=allocation&limit=100", token).body());
        assertThat(allocations.get("transactions")).hasSize(7);
        JsonNode future = JSON.readTree(api.get("/api/v1/credits/transactions?from=2999-01-01T00:00:00Z", token).body());
        assertThat(future.get("transactions")).isEmpty();

        assertProblem(api.get("/api/v1/credits/transactions?limit=0", token), 400, "validation");
        assertProblem(api.get("/api/v1/credits/transactions?limit=501", token), 400, "validation");
        assertProblem(api.get("/api/v1/credits/transactions?limit=abc", token), 400, "bad-request");
        assertProblem(api.get("/api/v1/credits/transactions?type=gift", token), 400, "validation");
        assertProblem(api.get("/api/v1/credits/transactions?cursor=bm90LWEtY3Vyc29y", token), 400, "validation");
        assertProblem(api.get("/api/v1/credits/transactions?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", token), 400, "validation");
    }

    @Test
    void couponsCreditOncePerUserAndSayWhyTheyCannotBeRedeemed() throws Exception {
        String admin = api.adminToken();
        String code = "WELCOME" + System.nanoTime();
        HttpResponse<String> created = api.post("/api/v1/admin/coupons", admin,
                "{\"code\":\"" + code + "\",\"discount_type\":\"fixed\",\"discount_value\":100.00,\"max_uses\":1000,\"expires_at\":\"2099-01-01T00:00:00Z\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        String user = newUser("coupon");
        String token = api.userToken(user);
        HttpResponse<String> redeemed = api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + code + "\"}");
        assertThat(redeemed.body()).matches("\\{\"new_balance\":100\\.0,\"transaction_id\":\"[0-9a-f-]{36}\",\"amount\":100\\.0,\"code\":\"" + code + "\"}");
        assertProblem(api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + code + "\"}"), 409, "coupon-already-redeemed");
        assertProblem(api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"NOPE" + System.nanoTime() + "\"}"), 404, "coupon-not-found");

        String expired = "OLD" + System.nanoTime();
        api.post("/api/v1/admin/coupons", admin, "{\"code\":\"" + expired + "\",\"discount_type\":\"fixed\",\"discount_value\":1,\"expires_at\":\"2020-01-01T00:00:00Z\"}");
        assertProblem(api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + expired + "\"}"), 410, "coupon-expired");

        String inactive = "OFF" + System.nanoTime();
        api.post("/api/v1/admin/coupons", admin, "{\"code\":\"" + inactive + "\",\"discount_type\":\"fixed\",\"discount_value\":1}");
        assertThat(api.post("/api/v1/admin/coupons/" + inactive + "/deactivate", admin, null).body()).contains("\"is_active\":false");
        assertProblem(api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + inactive + "\"}"), 410, "coupon-inactive");
        assertProblem(api.post("/api/v1/credits/coupons/redeem", token, "{}"), 400, "validation");
    }

    @Test
    void aPercentageCouponIsABonusOnTheLatestTopUp() throws Exception {
        String code = "SAVE50" + System.nanoTime();
        api.post("/api/v1/admin/coupons", api.adminToken(), "{\"code\":\"" + code + "\",\"discount_type\":\"percentage\",\"discount_value\":50,\"max_uses\":500}");
        String user = newUser("percent");
        String token = api.userToken(user);
        assertProblem(api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + code + "\"}"), 409, "nothing-to-discount");
        allocate(user, "40");
        assertThat(api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + code + "\"}").body())
                .startsWith("{\"new_balance\":60.0,").contains("\"amount\":20.0");
    }

    @Test
    void meteredUsageAppliedFromKafkaShowsByModelToTheUserAndTheAdmin() throws Exception {
        String user = newUser("metered");
        java.time.Instant now = java.time.Instant.now();
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(java.util.Map.<String, Object>of(
                org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, api.broker.bootstrapServers()),
                new org.apache.kafka.common.serialization.StringSerializer(),
                io.llmmetering.schemas.AvroSerde.of(io.llmmetering.schemas.Debit.class).serializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(io.llmmetering.schemas.Topics.CREDIT_DEBITS, user,
                        io.llmmetering.schemas.Debit.newBuilder().setEventId(user + "-" + i).setUserId(user).setAmountNanos(3_750_000)
                                .setModel("gpt-4o").setProvider("openai").setInputTokens(1000).setOutputTokens(0).setPowerLevel("balanced")
                                .setTier("free").setOccurredAt(now).setPricedAt(now).setPriceVersion("test").build())).get();
            }
        }
        String token = api.userToken(user);
        JsonNode usage = Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> JSON.readTree(api.get("/api/v1/credits/usage", token).body()), read -> read.get("totals").get("requests").asLong() >= 3);
        assertThat(usage.get("group_by").asString()).isEqualTo("model");
        assertThat(usage.get("totals").get("requests").asLong()).isEqualTo(3);
        assertThat(usage.get("totals").get("cost").decimalValue()).isEqualByComparingTo("0.01125");
        assertThat(usage.get("rows").get(0).get("key").asString()).isEqualTo("gpt-4o");
        assertThat(usage.get("rows").get(0).get("input_tokens").asLong()).isEqualTo(3000);
        JsonNode asAdmin = JSON.readTree(api.get("/api/v1/admin/users/" + user + "/usage", api.adminToken()).body());
        assertThat(asAdmin.get("rows")).isEqualTo(usage.get("rows"));
        assertProblem(api.get("/api/v1/credits/usage?group_by=user", token), 400, "validation");
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":-0.01125,");
        assertProblem(api.get("/api/v1/credits/usage?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", token), 400, "validation");
    }
}
