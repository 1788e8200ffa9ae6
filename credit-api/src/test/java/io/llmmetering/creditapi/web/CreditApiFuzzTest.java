package io.llmmetering.creditapi.web;

import io.llmmetering.testsupport.PayloadMutator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated JSON bodies and query strings for the credit API's endpoints that read input (amounts, ids, request
 * ids, cursors, dates, tiers, coupon codes, prices), from a printed seed. Whatever arrives, the API answers with a
 * decision, never a 5xx or a hang; a refusal is problem+json; and no refused request moves money: afterwards every
 * balance is the sum of its ledger rows, and the ledger grew by exactly one row per accepted money movement.
 */
@Tag("integration")
@Tag("security")
@Tag("fuzz")
class CreditApiFuzzTest {

    private final ApiServer api = ApiServer.get();

    private record Target(String method, String path, String token, String body, boolean movesMoney) {
    }

    @Test
    void mutatedBodiesAndQueriesGetADecisionAndRefusalsMoveNoMoney() throws Exception {
        PayloadMutator fuzz = PayloadMutator.fromSystemProperty("credit-api");
        String user = "fz-" + Long.toHexString(fuzz.seed()) + "@example.com";
        String admin = api.adminToken();
        String userToken = api.userToken(user);
        String service = api.tokens.service("fz-proxy", Duration.ofHours(2));
        assertThat(api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":1000}").statusCode()).isEqualTo(200);
        assertThat(api.post("/api/v1/admin/coupons", admin, "{\"code\":\"FZ-" + Long.toHexString(fuzz.seed())
                + "\",\"discount_type\":\"fixed\",\"discount_value\":0.001,\"max_uses\":1000}").statusCode()).isEqualTo(201);
        assertThat(api.post("/api/v1/admin/credits/purchase", admin, "{\"user_id\":\"" + user + "\",\"amount\":0.002,\"external_reference\":\"pi_fz\"}")
                .statusCode()).isEqualTo(200);
        String other = "fz-admin-target-" + Long.toHexString(fuzz.seed());
        List<Target> targets = List.of(
                new Target("POST", "/api/v1/credits/deduct", userToken, "{\"amount\":0.001,\"reason\":\"fuzz\",\"metadata\":{\"k\":\"v\"}}", true),
                new Target("POST", "/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":0.002,\"reason\":\"fuzz\"}", true),
                new Target("POST", "/api/v1/admin/credits/purchase", admin, "{\"user_id\":\"" + user + "\",\"amount\":0.002,\"external_reference\":\"pi_fz\"}", true),
                new Target("POST", "/api/v1/admin/credits/refund", admin, "{\"user_id\":\"" + user + "\",\"amount\":0.001,\"external_reference\":\"pi_fz\",\"reason\":\"fuzz\"}", true),
                new Target("POST", "/api/v1/admin/credits/adjust", admin, "{\"user_id\":\"" + user + "\",\"amount\":-0.001,\"reason\":\"fuzz\"}", true),
                new Target("POST", "/api/v1/credits/coupons/redeem", userToken, "{\"code\":\"FZ-" + Long.toHexString(fuzz.seed()) + "\"}", true),
                new Target("POST", "/api/v1/credits/holds", service, "{\"user_id\":\"" + user + "\",\"request_id\":\"r-1\",\"estimated_cost\":0.001,\"ttl_seconds\":60}", false),
                new Target("POST", "/api/v1/credits/holds", userToken, "{\"request_id\":\"r-2\",\"model\":\"gpt-4o\",\"max_tokens\":100,\"input_tokens\":10,\"power_level\":\"balanced\"}", false),
                new Target("POST", "/api/v1/credits/calculate-cost", null, "{\"input_tokens\":1000,\"output_tokens\":200,\"cached_input_tokens\":0,\"model\":\"gpt-4o\",\"power_level\":\"balanced\"}", false),
                new Target("PUT", "/api/v1/admin/users/" + other + "/monthly-cap", admin, "{\"monthly_cap\":100}", false),
                new Target("PUT", "/api/v1/admin/users/" + other + "/tier", admin, "{\"tier\":\"pro\"}", false),
                new Target("POST", "/api/v1/admin/coupons", admin, "{\"code\":\"FZC-1\",\"discount_type\":\"fixed\",\"discount_value\":0.001,\"max_uses\":5,\"expires_at\":\"2027-01-01T00:00:00Z\",\"description\":\"fuzz\"}", false),
                new Target("PUT", "/api/v1/admin/pricing/models/fz-model", admin, "{\"provider\":\"self-hosted\",\"input_per_1k\":0.001,\"output_per_1k\":0.002}", false),
                new Target("PUT", "/api/v1/admin/users/" + other + "/openrouter-account", admin, "{\"api_key\":\"sk-or-v1-fuzz\",\"label\":\"fz\",\"credit_limit\":5}", false),
                new Target("GET", "/api/v1/credits/authorize?", service, "user_id=" + user + "&estimated_cost=0.001", false),
                new Target("GET", "/api/v1/credits/transactions?", userToken, "limit=10&type=usage&from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z&cursor=MjAyNi0xMi0wMVQwMDowMDowMFp8YWJj", false),
                new Target("GET", "/api/v1/credits/usage?", userToken, "group_by=model&from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z&limit=10", false),
                new Target("GET", "/api/v1/admin/usage?", admin, "group_by=user&from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z&limit=10", false),
                new Target("GET", "/api/v1/admin/coupons?", admin, "include_inactive=true", false));

        long rowsBefore = ledgerRows();
        java.util.concurrent.atomic.AtomicLong moved = new java.util.concurrent.atomic.AtomicLong();
        fuzz.run(PayloadMutator.payloads(640), 4, i -> {
            Target target = targets.get(i % targets.size());
            java.util.Random random = fuzz.payload(i);
            HttpResponse<String> response;
            String sent;
            if (target.method().equals("GET")) {
                sent = PayloadMutator.mutateQuery(target.body(), random);
                response = api.get(target.path() + sent, target.token());
            } else {
                sent = PayloadMutator.mutate(target.body(), random);
                response = api.send(target.method(), target.path(), target.token(), sent);
            }
            fuzz.answered(response.statusCode());
            String context = String.format("%s %s: %s -> %s", target.method(), target.path(),
                    sent.length() > 300 ? sent.substring(0, 300) + "..." : sent, response.body().length() > 300 ? response.body().substring(0, 300) : response.body());
            assertThat(response.statusCode()).as(context).isLessThan(500);
            if (response.statusCode() >= 400) {
                assertThat(response.body()).as(context).contains("https://llm-metering.dev/problems/");
                assertThat(response.headers().firstValue("Content-Type").orElse("")).as(context).startsWith("application/problem+json");
            } else if (target.movesMoney() && !response.body().contains("\"replayed\":true")) {
                moved.incrementAndGet();
            }
        });
        System.out.println("[fuzz] credit-api " + fuzz.summary());
        assertThat(ledgerRows() - rowsBefore).as("ledger rows written, one per accepted deduct, allocation, purchase, refund, adjustment and redemption").isEqualTo(moved.get());
        assertThat(balancesNotTheSumOfTheirLedger()).as("accounts whose balance is not the sum of their ledger rows").isEmpty();
    }

    private long ledgerRows() throws SQLException {
        try (Connection c = api.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet row = s.executeQuery("SELECT count(*) FROM credit_transactions")) {
            row.next();
            return row.getLong(1);
        }
    }

    private Set<String> balancesNotTheSumOfTheirLedger() throws SQLException {
        Set<String> wrong = new java.util.TreeSet<>();
        try (Connection c = api.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("""
                     SELECT u.user_id FROM user_credits u
                     LEFT JOIN (SELECT user_id, sum(amount) AS total FROM credit_transactions GROUP BY user_id) t ON t.user_id = u.user_id
                     WHERE u.balance <> coalesce(t.total, 0)""")) {
            while (rows.next()) {
                wrong.add(rows.getString(1));
            }
        }
        return wrong;
    }
}
