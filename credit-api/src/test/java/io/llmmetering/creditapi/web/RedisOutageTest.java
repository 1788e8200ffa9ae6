package io.llmmetering.creditapi.web;

import io.lettuce.core.RedisClient;
import io.llmmetering.creditapi.wiring.CreditApiApplication;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Reliability scenario 6: the balance cache's Redis dies while the API is in use and comes back empty. Reads,
 * authorize, deducts and holds keep answering correctly from PostgreSQL, and afterwards the cache fills with
 * the right balance. Runs its own redis-server process so the shared one is never touched.
 */
@Tag("integration")
@Tag("reliability")
class RedisOutageTest {

    private static final Path REDIS_SERVER = Path.of("/usr/bin/redis-server");

    private final ApiServer shared = ApiServer.get();
    private Process redis;
    private ConfigurableApplicationContext api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
        if (redis != null) {
            redis.destroyForcibly();
        }
    }

    private Process startRedis(int port) throws Exception {
        Process process = new ProcessBuilder(REDIS_SERVER.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Awaitility.await("redis-server listening").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .ignoreExceptionsInstanceOf(java.io.IOException.class).until(() -> {
                    try (java.net.Socket socket = new java.net.Socket()) {
                        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                        return true;
                    }
                });
        return process;
    }

    private HttpResponse<String> call(int port, String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return shared.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String cached(int redisPort, String user) {
        try (RedisClient client = RedisClient.create("redis://127.0.0.1:" + redisPort + "/0"); var connection = client.connect()) {
            return connection.sync().get("credits:balance:" + user);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Test
    void readsDeductsAndHoldsStayCorrectThroughARedisOutageAndTheCacheRefillsAfter() throws Exception {
        assumeTrue(Files.isExecutable(REDIS_SERVER), "redis-server is not installed");
        int redisPort;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            redisPort = socket.getLocalPort();
        }
        redis = startRedis(redisPort);
        api = new SpringApplicationBuilder(CreditApiApplication.class).run("--server.port=0", "--management.server.port=0",
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/" + shared.database,
                "--spring.kafka.bootstrap-servers=" + shared.broker.bootstrapServers(),
                "--credit.redis-url=redis://127.0.0.1:" + redisPort + "/0",
                "--credit.applier.consumer-group=redis-outage-applier", "--credit.applier.rollup-group=redis-outage-rollups",
                "--credit.auth.jwt-secret=" + ApiServer.JWT_SECRET);
        int port = ((WebServerApplicationContext) api).getWebServer().getPort();
        String user = "outage-" + System.nanoTime() + "@example.com";
        String token = shared.userToken(user);
        String service = shared.tokens.issue("proxy-outage", List.of("service"), Duration.ofMinutes(10));

        call(port, "POST", "/api/v1/admin/credits/allocate", shared.adminToken(), "{\"user_id\":\"" + user + "\",\"amount\":10}");
        assertThat(call(port, "GET", "/api/v1/credits/balance", token, null).body()).startsWith("{\"balance\":10.0,");
        assertThat(cached(redisPort, user)).isEqualTo("10");

        redis.destroyForcibly().waitFor();

        long started = System.nanoTime();
        HttpResponse<String> deducted = call(port, "POST", "/api/v1/credits/deduct", token, "{\"amount\":3}");
        assertThat(deducted.statusCode()).isEqualTo(200);
        assertThat(deducted.body()).startsWith("{\"new_balance\":7.0,");
        assertThat(call(port, "GET", "/api/v1/credits/balance", token, null).body()).startsWith("{\"balance\":7.0,");
        assertThat(call(port, "GET", "/api/v1/credits/authorize?user_id=" + user + "&estimated_cost=7", service, null).body())
                .contains("\"allowed\":true", "\"available\":7.0");
        assertThat(call(port, "POST", "/api/v1/credits/holds", service, "{\"user_id\":\"" + user + "\",\"request_id\":\"o-1\",\"estimated_cost\":8}")
                .statusCode()).isEqualTo(402);
        assertThat(call(port, "POST", "/api/v1/credits/deduct", token, "{\"amount\":8}").statusCode()).isEqualTo(402);
        long outageMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();

        redis = startRedis(redisPort); // back, and empty
        // every balance read while the cache refills is right; one of them refills it
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(call(port, "GET", "/api/v1/credits/balance", token, null).body()).startsWith("{\"balance\":7.0,");
            assertThat(cached(redisPort, user)).isEqualTo("7");
        });
        System.out.println("[reliability] scenario 6: Redis down for " + outageMillis + " ms of requests; every answer correct; cache refilled with 7");
    }
}
