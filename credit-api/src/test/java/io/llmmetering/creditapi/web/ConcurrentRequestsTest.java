package io.llmmetering.creditapi.web;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many requests on one account or coupon at once: the balance never goes below zero, a coupon is never used
 * more than its max_uses, nothing is booked twice, and the ledger sums to the balance afterwards.
 */
@Tag("integration")
@Tag("reliability")
@Tag("security")
class ConcurrentRequestsTest {

    private final ApiServer api = ApiServer.get();

    private static List<HttpResponse<String>> concurrently(int count, Callable<HttpResponse<String>> request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                futures.add(pool.submit(request));
            }
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (Future<HttpResponse<String>> future : futures) {
                responses.add(future.get());
            }
            return responses;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long withStatus(List<HttpResponse<String>> responses, int status) {
        return responses.stream().filter(r -> r.statusCode() == status).count();
    }

    @Test
    void twoHundredConcurrentDeductsOnABalanceForFiftySucceedExactlyFiftyTimes() throws Exception {
        String user = "race-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\":\"" + user + "\",\"amount\":50}");
        String token = api.userToken(user);

        List<HttpResponse<String>> responses = concurrently(200, () -> api.post("/api/v1/credits/deduct", token, "{\"amount\":1}"));

        assertThat(withStatus(responses, 200)).isEqualTo(50);
        assertThat(withStatus(responses, 402)).isEqualTo(150);
        assertThat(responses).filteredOn(r -> r.statusCode() == 402)
                .allSatisfy(r -> assertThat(r.body()).contains("insufficient-credits"));
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":0.0,");
        assertLedgerMatchesBalance(user, "0");
    }

    @Test
    void oneHundredConcurrentRedemptionsOfATenUseCouponLeaveExactlyTen() throws Exception {
        String code = "RACE" + System.nanoTime();
        assertThat(api.post("/api/v1/admin/coupons", api.adminToken(),
                "{\"code\":\"" + code + "\",\"discount_type\":\"fixed\",\"discount_value\":5,\"max_uses\":10}").statusCode()).isEqualTo(201);
        String prefix = "redeemer-" + System.nanoTime() + "-";
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

        List<HttpResponse<String>> responses = concurrently(100, () -> api.post("/api/v1/credits/coupons/redeem",
                api.userToken(prefix + next.incrementAndGet()), "{\"code\":\"" + code + "\"}"));

        assertThat(withStatus(responses, 200)).isEqualTo(10);
        assertThat(withStatus(responses, 409)).isEqualTo(90);
        try (Connection c = api.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT times_used, (SELECT count(*) FROM coupon_redemptions r WHERE r.coupon_id = k.id) FROM coupon_codes k WHERE code = ?")) {
            s.setString(1, code);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                assertThat(row.getInt(1)).isEqualTo(10);
                assertThat(row.getInt(2)).isEqualTo(10);
            }
        }
    }

    @Test
    void oneUserRedeemingTheSameCouponTwentyTimesAtOnceGetsItOnce() throws Exception {
        String code = "ONCE" + System.nanoTime();
        api.post("/api/v1/admin/coupons", api.adminToken(), "{\"code\":\"" + code + "\",\"discount_type\":\"fixed\",\"discount_value\":2.5}");
        String user = "greedy-" + System.nanoTime() + "@example.com";
        String token = api.userToken(user);

        List<HttpResponse<String>> responses = concurrently(20, () -> api.post("/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + code + "\"}"));

        assertThat(withStatus(responses, 200)).isEqualTo(1);
        assertThat(responses).filteredOn(r -> r.statusCode() != 200).allSatisfy(r -> assertThat(r.body()).contains("coupon-already-redeemed"));
        assertLedgerMatchesBalance(user, "2.5");
    }

    @Test
    void concurrentAllocationsSumExactly() throws Exception {
        String user = "sum-" + System.nanoTime() + "@example.com";
        String admin = api.adminToken();

        List<HttpResponse<String>> responses = concurrently(100, () -> api.post("/api/v1/admin/credits/allocate", admin,
                "{\"user_id\":\"" + user + "\",\"amount\":0.123456789}"));

        assertThat(withStatus(responses, 200)).isEqualTo(100);
        assertThat(api.get("/api/v1/admin/users/" + user + "/balance", admin).body()).startsWith("{\"balance\":12.3456789,");
        assertLedgerMatchesBalance(user, "12.3456789");
    }

    @Test
    void fiftyConcurrentRetriesWithOneIdempotencyKeyChargeOnceAndAllGetTheSameAnswer() throws Exception {
        String user = "retry-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\":\"" + user + "\",\"amount\":10}");
        String token = api.userToken(user);

        List<HttpResponse<String>> responses = concurrently(50, () -> api.post("/api/v1/credits/deduct", token, "{\"amount\":3}",
                "Idempotency-Key", "order-42"));

        assertThat(withStatus(responses, 200)).isEqualTo(50);
        assertThat(responses.stream().map(r -> r.body().replace(",\"replayed\":true", "")).distinct()).hasSize(1);
        assertThat(api.get("/api/v1/credits/balance", token).body()).startsWith("{\"balance\":7.0,");
        assertLedgerMatchesBalance(user, "7");
    }

    private void assertLedgerMatchesBalance(String user, String expected) throws Exception {
        try (Connection c = api.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT u.balance, (SELECT sum(amount) FROM credit_transactions t WHERE t.user_id = u.user_id) FROM user_credits u WHERE user_id = ?")) {
            s.setString(1, user);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                assertThat(row.getBigDecimal(1)).isEqualByComparingTo(new BigDecimal(expected));
                assertThat(row.getBigDecimal(2)).isEqualByComparingTo(new BigDecimal(expected));
            }
        }
    }
}
