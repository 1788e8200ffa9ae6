package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.auth.TokenIssuer;
import io.llmmetering.creditapi.wiring.CreditApiApplication;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.schemas.TopicDefinitions;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import javax.sql.DataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One credit-api, started once per test JVM on a random port against a real KRaft broker, a database of its
 * own on the local PostgreSQL and Redis db 13, and shared by the API test classes (each uses its own user ids).
 * Stopped, and its database dropped, when the JVM exits.
 */
final class ApiServer {

    static final String JWT_SECRET = "test-secret-0123456789-abcdefghijklmnop";
    private static ApiServer instance;

    final EmbeddedKafkaBroker broker;
    final String database;
    final ConfigurableApplicationContext context;
    final int port;
    /** Where the actuators are: metrics and health details stay off the API's port. */
    final int managementPort;
    final TokenIssuer tokens = new TokenIssuer(JWT_SECRET);
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final FakeOpenRouter openRouter;
    static final String ENCRYPTION_KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJ8lJx2ke7XmKnQ=";

    private ApiServer() {
        try {
            openRouter = new FakeOpenRouter();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        broker = EmbeddedKafkaBroker.builder().build().start();
        broker.createTopics(TopicDefinitions.all(2, (short) 1));
        database = "t_creditapi_rest_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        context = new SpringApplicationBuilder(CreditApiApplication.class).run(
                "--server.port=0", "--management.server.port=0",
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/" + database,
                "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "--credit.redis-url=redis://127.0.0.1:6379/13",
                "--credit.auth.jwt-secret=" + JWT_SECRET,
                "--credit.encryption-key=" + ENCRYPTION_KEY,
                "--credit.openrouter-api-base-url=" + openRouter.baseUrl(),
                "--credit.webhooks.allow-private-networks=127.0.0.0/8",
                "--credit.webhooks.retry-schedule=200ms,400ms,800ms",
                "--credit.webhooks.poll-interval=50ms",
                "--credit.webhooks.timeout=2s");
        port = ((WebServerApplicationContext) context).getWebServer().getPort();
        managementPort = context.getEnvironment().getRequiredProperty("local.management.port", Integer.class);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop));
    }

    static synchronized ApiServer get() {
        if (instance == null) {
            instance = new ApiServer();
        }
        return instance;
    }

    private void stop() {
        context.close();
        openRouter.close();
        broker.close();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (Exception e) {
            // the JVM is exiting; a leftover test database is dropped by the next cleanup
        }
    }

    DataSource dataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL("jdbc:postgresql://127.0.0.1:5432/" + database);
        dataSource.setUser("postgres");
        return dataSource;
    }

    String userToken(String userId) {
        return tokens.user(userId, Duration.ofMinutes(30));
    }

    String adminToken() {
        return tokens.admin("admin@example.com", Duration.ofMinutes(30));
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
    }

    /** An actuator on the management port, which needs no token: it listens on loopback only. */
    HttpResponse<String> management(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = request(path).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String token, String json, String... headers) throws Exception {
        return send("POST", path, token, json, headers);
    }

    HttpResponse<String> put(String path, String token, String json) throws Exception {
        return send("PUT", path, token, json);
    }

    HttpResponse<String> send(String method, String path, String token, String json, String... headers) throws Exception {
        HttpRequest.Builder request = request(path).method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
