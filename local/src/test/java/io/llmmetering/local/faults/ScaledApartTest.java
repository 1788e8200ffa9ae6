package io.llmmetering.local.faults;

import io.llmmetering.creditapi.auth.TokenIssuer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * credit-api scaled apart, as a platform team deploys it: two processes serve the API only ({@code credit.role=api})
 * and two run the appliers only ({@code credit.role=applier}), on one PostgreSQL and one broker. Holds on one account
 * spread over both API processes never overshoot, and events are charged exactly once while an applier process is
 * killed with kill -9 and started again.
 */
@Tag("integration")
@Tag("reliability")
class ScaledApartTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void twoApiAndTwoApplierProcessesHoldWithoutOvershootAndChargeOnceThroughAKillNine(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir)
            throws Exception {
        try (ProcessPipeline pipeline = new ProcessPipeline(dir).start()) {
            pipeline.api.stop(); // it migrated the database; the roles take over from here
            ServiceProcess apiOne = pipeline.creditApi("credit-api-1", withWebhooks("--credit.role=api")).start();
            ServiceProcess apiTwo = pipeline.creditApi("credit-api-2", withWebhooks("--credit.role=api")).start();
            ServiceProcess applierOne = pipeline.creditApi("credit-applier-1", withWebhooks("--credit.role=applier")).start();
            ServiceProcess applierTwo = pipeline.creditApi("credit-applier-2", withWebhooks("--credit.role=applier")).start();
            for (ServiceProcess process : List.of(apiOne, apiTwo, applierOne, applierTwo)) {
                process.awaitHealthy(Duration.ofMinutes(2));
            }

            // an applier serves no API; an API process runs no debit applier
            assertThat(get("http://127.0.0.1:" + applierOne.port() + "/api/v1/system/status", null).statusCode()).isEqualTo(404);
            assertThat(apiOne.metrics()).doesNotContain("credit_applier_batch_size");
            assertThat(applierOne.metrics()).contains("credit_applier_batch_size");

            // 200 holds of 0.02 on 1.00, half through each API process: exactly 50 allowed
            TokenIssuer tokens = new TokenIssuer(ProcessPipeline.JWT_SECRET);
            String admin = tokens.admin("ops@example.com", Duration.ofMinutes(10));
            String service = tokens.service("proxy-fleet", Duration.ofMinutes(10));
            String user = "scaled-holds@example.com";
            assertThat(post("http://127.0.0.1:" + apiOne.port() + "/api/v1/admin/credits/allocate", admin,
                    "{\"user_id\":\"" + user + "\",\"amount\":1.00}").statusCode()).isEqualTo(200);
            ExecutorService callers = Executors.newFixedThreadPool(32);
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String api = "http://127.0.0.1:" + (i % 2 == 0 ? apiOne : apiTwo).port();
                String body = "{\"user_id\":\"" + user + "\",\"request_id\":\"hold-" + i + "\",\"estimated_cost\":0.02}";
                answers.add(CompletableFuture.supplyAsync(() -> post(api + "/api/v1/credits/holds", service, body).statusCode(), callers));
            }
            List<Integer> statuses = answers.stream().map(CompletableFuture::join).toList();
            callers.shutdown();
            assertThat(statuses.stream().filter(status -> status == 201).count()).isEqualTo(50);
            assertThat(statuses.stream().filter(status -> status == 402).count()).isEqualTo(150);

            holdsAndDeductsInFlightWhenAnApiProcessIsKilledAreWholeOrAbsent(pipeline, apiOne, apiTwo, tokens, admin, service);

            // events charged exactly once while one applier process dies (kill -9) and comes back
            ProxyFleet fleet = new ProxyFleet(pipeline, "scaled", 100, 4_000, 250, 41);
            LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
            Thread publishing = fleet.startInBackground();
            invariants.awaitApplied(600, Duration.ofSeconds(90));
            applierOne.kill();
            invariants.awaitApplied(invariants.applied() + 600, Duration.ofSeconds(90)); // the other applier took its partitions
            applierOne.start();
            fleet.awaitPublished(publishing);
            assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();

            aWebhookQueuedBeforeEveryProcessIsKilledIsDeliveredByTheNextOneStarted(List.of(apiOne, apiTwo, applierOne, applierTwo), admin);
        }
    }

    /** Every process sends webhooks; a receiver on loopback is allowed here, and retries come quickly, then wait. */
    private static String[] withWebhooks(String role) {
        return new String[]{role, "--credit.webhooks.allow-private-networks=127.0.0.0/8", "--credit.webhooks.retry-schedule=300ms,600ms,20s,20s,20s",
                "--credit.webhooks.poll-interval=100ms"};
    }

    /**
     * A webhook queued while its receiver refuses; every credit-api process killed with kill -9 before it could be
     * delivered; one started again: it delivers the event, with its original id, signed with the endpoint's secret.
     */
    private static void aWebhookQueuedBeforeEveryProcessIsKilledIsDeliveredByTheNextOneStarted(List<ServiceProcess> processes, String admin)
            throws Exception {
        java.util.concurrent.atomic.AtomicBoolean accepting = new java.util.concurrent.atomic.AtomicBoolean(false);
        List<String> refusedIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> delivered = new java.util.concurrent.CopyOnWriteArrayList<>();
        String[] secret = new String[1];
        com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
            if (!accepting.get()) {
                refusedIds.add(id);
                exchange.sendResponseHeaders(503, -1);
            } else {
                try {
                    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
                    mac.init(new javax.crypto.spec.SecretKeySpec(java.util.Base64.getDecoder().decode(secret[0].substring("whsec_".length())), "HmacSHA256"));
                    String expected = "v1," + java.util.Base64.getEncoder().encodeToString(
                            mac.doFinal((id + "." + timestamp + "." + body).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    if (expected.equals(exchange.getRequestHeaders().getFirst("webhook-signature"))) {
                        delivered.add(id);
                    }
                } catch (java.security.GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
                exchange.sendResponseHeaders(204, -1);
            }
            exchange.close();
        });
        receiver.start();
        try {
            ServiceProcess api = processes.get(1);
            String registered = post("http://127.0.0.1:" + api.port() + "/api/v1/admin/webhooks", admin, "{\"url\":\"http://127.0.0.1:"
                    + receiver.getAddress().getPort() + "/hook\",\"event_types\":[\"webhook.test\"]}").body();
            JsonNode endpoint = JSON.readTree(registered);
            secret[0] = endpoint.get("secret").asString();
            assertThat(post("http://127.0.0.1:" + api.port() + "/api/v1/admin/webhooks/" + endpoint.get("id").asString() + "/test", admin, "{}")
                    .statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(30)).until(() -> refusedIds.size() >= 2); // tried, refused, and now waiting 20 s
            processes.forEach(ServiceProcess::kill);
            accepting.set(true);
            api.start().awaitHealthy(Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(60)).until(() -> !delivered.isEmpty());
            assertThat(delivered).containsOnly(refusedIds.get(0));
            System.out.printf("[faults] webhook %s refused %d times, every process killed, delivered by the restarted one%n",
                    refusedIds.get(0), refusedIds.size());
        } finally {
            receiver.stop(0);
        }
    }

    /**
     * Holds and deducts from 24 callers on one API process, killed with kill -9 while its batches are in PostgreSQL:
     * a batch is one transaction, so every account afterwards is whole (balance the sum of its ledger rows, held the
     * sum of its active holds, never below them) and every hold or deduct that was answered is stored.
     */
    private static void holdsAndDeductsInFlightWhenAnApiProcessIsKilledAreWholeOrAbsent(ProcessPipeline pipeline, ServiceProcess victim,
                                                                                      ServiceProcess survivor, TokenIssuer tokens, String admin,
                                                                                      String service) throws Exception {
        List<String> users = new ArrayList<>();
        List<String> userTokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String user = "in-flight-" + i + "@example.com";
            assertThat(post("http://127.0.0.1:" + survivor.port() + "/api/v1/admin/credits/allocate", admin,
                    "{\"user_id\":\"" + user + "\",\"amount\":100}").statusCode()).isEqualTo(200);
            users.add(user);
            userTokens.add(tokens.user(user, Duration.ofMinutes(10)));
        }
        String api = "http://127.0.0.1:" + victim.port();
        Set<String> answeredHolds = ConcurrentHashMap.newKeySet();
        Set<String> answeredDeducts = ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService callers = Executors.newFixedThreadPool(24);
        for (int t = 0; t < 24; t++) {
            int thread = t;
            callers.submit(() -> {
                for (int n = 0; running.get(); n++) {
                    int user = (thread * 7 + n) % users.size();
                    try {
                        if (n % 2 == 0) {
                            HttpResponse<String> hold = post(api + "/api/v1/credits/holds", service, "{\"user_id\":\"" + users.get(user)
                                    + "\",\"request_id\":\"in-flight-" + thread + "-" + n + "\",\"estimated_cost\":0.01}");
                            if (hold.statusCode() == 201) {
                                answeredHolds.add(JSON.readTree(hold.body()).get("hold_id").asString());
                            }
                        } else {
                            HttpResponse<String> deduct = post(api + "/api/v1/credits/deduct", userTokens.get(user), "{\"amount\":0.01}");
                            if (deduct.statusCode() == 200) {
                                answeredDeducts.add(JSON.readTree(deduct.body()).get("transaction_id").asString());
                            }
                        }
                    } catch (IllegalStateException connectionLost) {
                        failed.incrementAndGet();
                    }
                }
            });
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> answeredHolds.size() + answeredDeducts.size() >= 1_000);
        victim.kill();
        running.set(false);
        callers.shutdown();
        assertThat(callers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failed.get()).as("requests in flight when the process died").isPositive();

        try (Connection c = pipeline.connect(); PreparedStatement whole = c.prepareStatement("""
                SELECT u.user_id, u.balance, u.held,
                       (SELECT sum(amount) FROM credit_transactions t WHERE t.user_id = u.user_id),
                       (SELECT coalesce(sum(amount), 0) FROM credit_holds h WHERE h.user_id = u.user_id AND h.status = 'active')
                  FROM user_credits u WHERE u.user_id LIKE 'in-flight-%'""")) {
            try (ResultSet row = whole.executeQuery()) {
                int accounts = 0;
                while (row.next()) {
                    accounts++;
                    assertThat(row.getBigDecimal(2)).as(row.getString(1) + " balance is its ledger's sum").isEqualByComparingTo(row.getBigDecimal(4));
                    assertThat(row.getBigDecimal(3)).as(row.getString(1) + " held is its active holds").isEqualByComparingTo(row.getBigDecimal(5));
                    assertThat(row.getBigDecimal(2)).as(row.getString(1) + " never below what it holds").isGreaterThanOrEqualTo(row.getBigDecimal(3));
                }
                assertThat(accounts).isEqualTo(users.size());
            }
            try (PreparedStatement holds = c.prepareStatement("SELECT count(*) FROM credit_holds WHERE id = ANY(?::uuid[])");
                 PreparedStatement deducts = c.prepareStatement("SELECT count(*) FROM credit_transactions WHERE id = ANY(?::uuid[])")) {
                holds.setArray(1, c.createArrayOf("uuid", answeredHolds.toArray()));
                deducts.setArray(1, c.createArrayOf("uuid", answeredDeducts.toArray()));
                for (PreparedStatement stored : List.of(holds, deducts)) {
                    try (ResultSet count = stored.executeQuery()) {
                        count.next();
                        assertThat(count.getLong(1)).as("answered, so stored").isEqualTo(stored == holds ? answeredHolds.size() : answeredDeducts.size());
                    }
                }
            }
        }
        System.out.printf("[faults] kill -9 amid batches: %d holds and %d deducts answered, %d requests cut off, every account whole%n",
                answeredHolds.size(), answeredDeducts.size(), failed.get());
    }

    private static HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String url, String token, String body) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
