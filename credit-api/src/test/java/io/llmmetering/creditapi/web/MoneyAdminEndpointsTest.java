package io.llmmetering.creditapi.web;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Purchases, refunds and adjustments: one ledger row each, idempotent, and refused when they would break a rule. */
@Tag("integration")
class MoneyAdminEndpointsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();
    private final String service = api.tokens.service("money-proxy", Duration.ofMinutes(30));

    private static String user(String name) {
        return name + "-" + System.nanoTime() + "@example.com";
    }

    private HttpResponse<String> purchase(String user, String amount, String reference) throws Exception {
        return api.post("/api/v1/admin/credits/purchase", admin,
                "{\"user_id\":\"" + user + "\",\"amount\":" + amount + ",\"external_reference\":\"" + reference + "\"}");
    }

    private HttpResponse<String> refund(String user, String amount, String reference, String... headers) throws Exception {
        return api.post("/api/v1/admin/credits/refund", admin, "{\"user_id\":\"" + user + "\",\"amount\":" + amount
                + ",\"external_reference\":\"" + reference + "\",\"reason\":\"customer asked\"}", headers);
    }

    private HttpResponse<String> adjust(String user, String amount, String reason) throws Exception {
        return api.post("/api/v1/admin/credits/adjust", admin, "{\"user_id\":\"" + user + "\",\"amount\":" + amount
                + (reason == null ? "" : ",\"reason\":\"" + reason + "\"") + "}");
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains("\"type\":\"https://llm-metering.dev/problems/" + type + "\"");
    }

    private BigDecimal balance(String user) throws Exception {
        return JSON.readTree(api.get("/api/v1/admin/users/" + user + "/balance", admin).body()).get("balance").decimalValue();
    }

    /** The ledger's invariant for one account: its balance is the sum of its rows, and held is what its active holds reserve. */
    private void assertLedgerWhole(String user) throws Exception {
        try (Connection connection = api.dataSource().getConnection();
             PreparedStatement check = connection.prepareStatement("""
                     SELECT u.balance = (SELECT sum(amount) FROM credit_transactions t WHERE t.user_id = u.user_id),
                            u.held = (SELECT coalesce(sum(amount), 0) FROM credit_holds h WHERE h.user_id = u.user_id AND h.status = 'active')
                       FROM user_credits u WHERE u.user_id = ?""")) {
            check.setString(1, user);
            try (ResultSet row = check.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(row.getBoolean(1)).as("balance = sum of the ledger").isTrue();
                assertThat(row.getBoolean(2)).as("held = active holds").isTrue();
            }
        }
    }

    @Test
    void aPurchaseCreditsOncePerPaymentReference() throws Exception {
        String user = user("buyer");
        String reference = "pi_" + System.nanoTime();
        HttpResponse<String> first = purchase(user, "25.5", reference);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode receipt = JSON.readTree(first.body());
        assertThat(receipt.get("new_balance").decimalValue()).isEqualByComparingTo("25.5");

        JsonNode again = JSON.readTree(purchase(user, "25.5", reference).body());
        assertThat(again.get("transaction_id").asString()).isEqualTo(receipt.get("transaction_id").asString());
        assertThat(again.get("replayed").asBoolean()).isTrue();
        assertThat(balance(user)).isEqualByComparingTo("25.5");

        assertProblem(purchase(user, "30", reference), 409, "external-reference-reused");
        assertProblem(purchase(user("other-buyer"), "25.5", reference), 409, "external-reference-reused");

        JsonNode rows = JSON.readTree(api.get("/api/v1/admin/users/" + user + "/transactions?type=purchase", admin).body()).get("transactions");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("amount").decimalValue()).isEqualByComparingTo("25.5");
        assertThat(rows.get(0).get("metadata").get("external_reference").asString()).isEqualTo(reference);
        assertThat(rows.get(0).get("reason").asString()).isEqualTo("purchase " + reference);
        assertLedgerWhole(user);
    }

    @Test
    void refundsOfAPurchaseNeverExceedItNorTakeWhatHoldsReserve() throws Exception {
        String user = user("refunded");
        String reference = "ch_" + System.nanoTime();
        assertThat(purchase(user, "10", reference).statusCode()).isEqualTo(200);
        HttpResponse<String> hold = api.post("/api/v1/credits/holds", service,
                "{\"user_id\":\"" + user + "\",\"request_id\":\"refund-hold\",\"estimated_cost\":3}");
        assertThat(hold.statusCode()).as(hold.body()).isEqualTo(201);

        HttpResponse<String> tooMuchForTheHolds = refund(user, "8", reference);
        assertProblem(tooMuchForTheHolds, 409, "exceeds-available-balance");
        assertThat(tooMuchForTheHolds.body()).contains("at most 7");

        HttpResponse<String> refunded = refund(user, "6", reference, "Idempotency-Key", "refund-1");
        assertThat(refunded.statusCode()).as(refunded.body()).isEqualTo(200);
        assertThat(JSON.readTree(refunded.body()).get("new_balance").decimalValue()).isEqualByComparingTo("4");
        assertThat(JSON.readTree(refund(user, "6", reference, "Idempotency-Key", "refund-1").body()).get("replayed").asBoolean()).isTrue();

        HttpResponse<String> overPurchase = refund(user, "4.000000001", reference);
        assertProblem(overPurchase, 409, "refund-exceeds-purchase");
        assertThat(overPurchase.body()).contains("at most 4");
        assertProblem(refund(user, "1", "no-such-payment"), 404, "purchase-not-found");
        assertProblem(refund(user("stranger"), "1", reference), 404, "purchase-not-found");

        JsonNode rows = JSON.readTree(api.get("/api/v1/admin/users/" + user + "/transactions?type=refund", admin).body()).get("transactions");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("amount").decimalValue()).isEqualByComparingTo("-6");
        assertThat(rows.get(0).get("metadata").get("external_reference").asString()).isEqualTo(reference);
        assertThat(balance(user)).isEqualByComparingTo("4");
        assertLedgerWhole(user);
    }

    @Test
    void concurrentRefundsOfOnePurchaseReturnExactlyWhatItBought() throws Exception {
        String user = user("rush");
        String reference = "pay_" + System.nanoTime();
        assertThat(purchase(user, "10", reference).statusCode()).isEqualTo(200);
        assertThat(adjust(user, "100", "goodwill").statusCode()).isEqualTo(200);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            answers.add(pool.submit(() -> refund(user, "1", reference)));
        }
        int refunded = 0;
        int refused = 0;
        for (Future<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get();
            if (response.statusCode() == 200) {
                refunded++;
            } else if (response.statusCode() == 409 && response.body().contains("refund-exceeds-purchase")) {
                refused++;
            }
        }
        pool.shutdownNow();
        assertThat(refunded).isEqualTo(10);
        assertThat(refused).isEqualTo(20);
        assertThat(balance(user)).isEqualByComparingTo("100");
        assertLedgerWhole(user);
    }

    @Test
    void anAdjustmentGoesEitherWayWithAReasonAndNeverBelowWhatHoldsReserve() throws Exception {
        String user = user("adjusted");
        assertThat(adjust(user, "5.000000001", "migrated balance").statusCode()).isEqualTo(200);
        assertThat(api.post("/api/v1/credits/holds", service, "{\"user_id\":\"" + user + "\",\"request_id\":\"adj-hold\",\"estimated_cost\":2}")
                .statusCode()).isEqualTo(201);
        assertProblem(adjust(user, "-3.000000002", "correction"), 409, "exceeds-available-balance");
        HttpResponse<String> down = adjust(user, "-3.000000001", "double-booked top-up");
        assertThat(down.statusCode()).as(down.body()).isEqualTo(200);
        assertThat(JSON.readTree(down.body()).get("new_balance").decimalValue()).isEqualByComparingTo("2");

        assertProblem(adjust(user, "1", null), 400, "validation");
        assertProblem(adjust(user, "0", "nothing"), 400, "validation");
        JsonNode rows = JSON.readTree(api.get("/api/v1/admin/users/" + user + "/transactions?type=adjustment", admin).body()).get("transactions");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("reason").asString()).isEqualTo("double-booked top-up");
        assertThat(rows.get(0).get("amount").decimalValue()).isEqualByComparingTo("-3.000000001");
        assertLedgerWhole(user);
    }

    @Test
    @Tag("security")
    void onlyAdminsMoveMoneyAndHostileInputIsRefusedWithNothingBooked() throws Exception {
        String user = user("hostile");
        String purchaseBody = "{\"user_id\":\"" + user + "\",\"amount\":1,\"external_reference\":\"pi_1\"}";
        for (String path : List.of("/api/v1/admin/credits/purchase", "/api/v1/admin/credits/refund", "/api/v1/admin/credits/adjust")) {
            assertProblem(api.post(path, api.userToken(user), purchaseBody), 403, "forbidden");
            assertProblem(api.post(path, service, purchaseBody), 403, "forbidden");
            assertProblem(api.post(path, null, purchaseBody), 401, "unauthenticated");
            assertProblem(api.post(path, admin, "{\"user_id\":"), 400, "malformed-body");
            assertProblem(api.post(path, admin, "[]"), 400, "malformed-body");
        }
        for (String amount : List.of("-1", "0", "1e12", "0.0000000001", "\"ten\"", "null")) {
            assertThat(purchase(user, amount, "pi_" + System.nanoTime()).statusCode()).as(amount).isEqualTo(400);
            assertThat(refund(user, amount, "pi_x").statusCode()).as(amount).isEqualTo(400);
        }
        for (String reference : List.of("", "with space", "x".repeat(256), "tab\\there", "caf\\u00e9")) {
            assertProblem(purchase(user, "1", reference), 400, "validation");
        }
        assertProblem(adjust(user, "-1e12", "drain"), 400, "validation");
        assertProblem(adjust(user, "1", "x".repeat(1001)), 400, "validation");
        assertProblem(api.post("/api/v1/admin/credits/purchase", admin, "{\"user_id\":\"" + "u".repeat(256)
                + "\",\"amount\":1,\"external_reference\":\"pi_long\"}"), 400, "validation");

        String injected = "pi_');DROP/**/TABLE/**/credit_transactions;--";
        assertThat(purchase(user, "1", injected).statusCode()).isEqualTo(200);
        JsonNode rows = JSON.readTree(api.get("/api/v1/admin/users/" + user + "/transactions", admin).body()).get("transactions");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("metadata").get("external_reference").asString()).isEqualTo(injected);
        assertLedgerWhole(user);
    }
}
