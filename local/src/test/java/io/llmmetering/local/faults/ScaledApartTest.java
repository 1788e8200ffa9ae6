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

import static org.assertj.core.api.Assertions.assertThat;

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

    @Test
    void twoApiAndTwoApplierProcessesHoldWithoutOvershootAndChargeOnceThroughAKillNine(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir)
            throws Exception {
        try (ProcessPipeline pipeline = new ProcessPipeline(dir).start()) {
            pipeline.api.stop(); // it migrated the database; the roles take over from here
            ServiceProcess apiOne = pipeline.creditApi("credit-api-1", "--credit.role=api").start();
            ServiceProcess apiTwo = pipeline.creditApi("credit-api-2", "--credit.role=api").start();
            ServiceProcess applierOne = pipeline.creditApi("credit-applier-1", "--credit.role=applier").start();
            ServiceProcess applierTwo = pipeline.creditApi("credit-applier-2", "--credit.role=applier").start();
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
        }
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
