package io.llmmetering.creditapi.web;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's "Test Transaction Flow" and endpoint checks, request for request, with the exact JSON it expects. */
@Tag("integration")
class SeedWalkthroughTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();

    @Test
    void theSeedsTransactionFlowAnswersExactlyAsTheSeedShows() throws Exception {
        String user = "walkthrough-" + System.nanoTime() + "@example.com";
        String token = api.userToken(user);
        String admin = api.adminToken();

        HttpResponse<String> initial = api.get("/api/v1/credits/balance", token);
        assertThat(initial.statusCode()).isEqualTo(200);
        assertThat(initial.body()).startsWith("{\"balance\":0.0,\"tier\":\"free\",\"monthly_cap\":null");

        HttpResponse<String> allocated = api.post("/api/v1/admin/credits/allocate", admin,
                "{\"user_id\": \"" + user + "\", \"amount\": 50.0, \"reason\": \"test\"}");
        assertThat(allocated.statusCode()).isEqualTo(200);
        JsonNode receipt = JSON.readTree(allocated.body());
        assertThat(allocated.body()).startsWith("{\"new_balance\":50.0,\"transaction_id\":\"");
        assertThat(receipt.get("transaction_id").asString()).matches("[0-9a-f-]{36}");

        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":50.0,\"tier\":\"free\",\"monthly_cap\":null");

        HttpResponse<String> deducted = api.post("/api/v1/credits/deduct", token,
                "{\"amount\": 10.0, \"metadata\": {\"provider\": \"openai\", \"model\": \"gpt-4o\", \"tokens_used\": 1000}}");
        assertThat(deducted.statusCode()).isEqualTo(200);
        assertThat(deducted.body()).startsWith("{\"new_balance\":40.0,\"transaction_id\":\"");

        HttpResponse<String> history = api.get("/api/v1/credits/transactions?limit=5", token);
        assertThat(history.statusCode()).isEqualTo(200);
        JsonNode rows = JSON.readTree(history.body()).get("transactions");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("transaction_type").asString()).isEqualTo("deduction");
        assertThat(rows.get(0).get("amount").decimalValue()).isEqualByComparingTo("-10");
        assertThat(rows.get(0).get("balance_after").decimalValue()).isEqualByComparingTo("40");
        assertThat(rows.get(0).get("model").asString()).isEqualTo("gpt-4o");
        assertThat(rows.get(0).get("tokens_used").asLong()).isEqualTo(1000);
        assertThat(rows.get(1).get("transaction_type").asString()).isEqualTo("allocation");
        assertThat(rows.get(1).get("amount").decimalValue()).isEqualByComparingTo("50");
        assertThat(rows.get(1).get("reason").asString()).isEqualTo("test");
        assertThat(JSON.readTree(history.body()).get("next_cursor").isNull()).isTrue();
    }

    @Test
    void calculateCostForTheSeedsRequestIsExactlyTheSeedsAnswerWithAndWithoutAToken() throws Exception {
        String body = "{\"tokens_used\": 1000, \"model\": \"gpt-4o\", \"power_level\": \"balanced\"}";
        HttpResponse<String> anonymous = api.post("/api/v1/credits/calculate-cost", null, body);
        assertThat(anonymous.statusCode()).isEqualTo(200);
        assertThat(anonymous.body()).isEqualTo("{\"cost\":0.00375}");
        assertThat(api.post("/api/v1/credits/calculate-cost", api.userToken("quote-" + System.nanoTime()), body).body())
                .isEqualTo("{\"cost\":0.00375}");
    }

    @Test
    void theSeedsAdminAllocationAnswersNewBalanceAndTransactionId() throws Exception {
        String user = "test-" + System.nanoTime() + "@example.com";
        HttpResponse<String> allocated = api.post("/api/v1/admin/credits/allocate", api.adminToken(),
                "{\"user_id\": \"" + user + "\", \"amount\": 100.0, \"reason\": \"bonus\"}");
        assertThat(allocated.statusCode()).isEqualTo(200);
        assertThat(allocated.body()).matches("\\{\"new_balance\":100\\.0,\"transaction_id\":\"[0-9a-f-]{36}\"}");
    }

    @Test
    void theBalanceIsCachedInRedisUnderTheSeedsKeyWithTheConfiguredTtl() throws Exception {
        String user = "cached-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\": \"" + user + "\", \"amount\": 7.5}");
        try (var client = io.lettuce.core.RedisClient.create("redis://127.0.0.1:6379/13"); var connection = client.connect()) {
            assertThat(connection.sync().get("credits:balance:" + user)).isEqualTo("7.5");
            assertThat(connection.sync().ttl("credits:balance:" + user)).isBetween(1L, 60L);
        }
    }

    /** A miss is answered from the account row the request reads anyway, and that balance, with its version, refills the cache. */
    @Test
    void aBalanceMissIsAnsweredFromPostgresqlAndRefillsTheCacheWithItsVersion() throws Exception {
        String user = "missed-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\": \"" + user + "\", \"amount\": 12.5}");
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\": \"" + user + "\", \"amount\": 0.25}");
        long version;
        try (var c = api.dataSource().getConnection();
             var s = c.prepareStatement("SELECT balance_version FROM user_credits WHERE user_id = ?")) {
            s.setString(1, user);
            try (var row = s.executeQuery()) {
                row.next();
                version = row.getLong(1);
            }
        }
        try (var client = io.lettuce.core.RedisClient.create("redis://127.0.0.1:6379/13"); var connection = client.connect()) {
            connection.sync().del("credits:balance:" + user, "credits:balance-version:" + user);
            assertThat(api.get("/api/v1/credits/balance", api.userToken(user)).body()).startsWith("{\"balance\":12.75,");
            assertThat(connection.sync().get("credits:balance:" + user)).isEqualTo("12.75");
            assertThat(connection.sync().get("credits:balance-version:" + user)).isEqualTo(Long.toString(version));
        }
    }
}
