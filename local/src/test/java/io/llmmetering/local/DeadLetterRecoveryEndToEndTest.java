package io.llmmetering.local;

import io.llmmetering.creditapi.auth.TokenIssuer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An operator recovers the revenue of a model the price book lacked, through the whole running system: its events
 * are dead-lettered; the operator sees the model in unknown-models, imports a LiteLLM price file that has it and
 * replays; the user pays exactly the new price of each event, once, although the replay is sent twice (its record
 * lost, as after a crash between send and mark) and a late copy of an original arrives after it.
 */
@Tag("integration")
class DeadLetterRecoveryEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MODEL = "acme-frontier-1";
    private static final String USER = "recover@example.com";
    private static final int EVENTS = 5;
    // 1,000 input tokens at 0.000002 and 500 output at 0.000008, free tier, balanced power: 0.006 per event
    private static final BigDecimal PRICE_PER_EVENT = new BigDecimal("0.006");

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void deadLetteredEventsOfAnUnpricedModelAreChargedOnceAtTheImportedPriceAfterAReplay(@TempDir Path dataDir) throws Exception {
        String database = "t_dlq_e2e_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        int kafkaPort = FreePorts.pair();
        LocalSettings settings = new LocalSettings(dataDir, kafkaPort, kafkaPort + 1, FreePorts.one(), FreePorts.one(),
                "jdbc:postgresql://127.0.0.1:5432/" + database, "postgres", "redis://127.0.0.1:6379/0", false, 0, Optional.empty());
        LocalLauncher launcher = new LocalLauncher();
        try {
            String ingestKey = launcher.start(settings);
            TokenIssuer tokens = new TokenIssuer(LocalSecret.jwtSecret(settings.dataDir(), Map.of()));
            String admin = tokens.admin("ops@example.com", Duration.ofMinutes(10));
            String api = "http://127.0.0.1:" + settings.apiPort();
            assertThat(post(api + "/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + USER + "\",\"amount\":100}").statusCode())
                    .isEqualTo(200);

            List<String> originals = new ArrayList<>();
            for (int i = 0; i < EVENTS; i++) {
                originals.add(event("recover-" + i, USER, MODEL));
            }
            ingest(settings, ingestKey, originals);

            JsonNode unknown = await(() -> get(api + "/api/v1/admin/pricing/unknown-models", admin).get("models"),
                    models -> find(models, MODEL) != null && find(models, MODEL).get("events").asInt() == EVENTS);
            assertThat(find(unknown, MODEL).get("priced_now").asBoolean()).isFalse();
            assertThat(find(unknown, MODEL).get("users").asInt()).isEqualTo(1);

            String liteLlm = "{\"" + MODEL + "\": {\"litellm_provider\": \"acme\", \"mode\": \"chat\", "
                    + "\"input_cost_per_token\": 0.000002, \"output_cost_per_token\": 0.000008}}";
            HttpResponse<String> imported = post(api + "/api/v1/admin/pricing/import?dry_run=false", admin, liteLlm);
            assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
            assertThat(JSON.readTree(imported.body()).get("published").asInt()).isEqualTo(1);
            awaitTheTopologyPrices(settings, ingestKey, database);

            JsonNode replay = JSON.readTree(post(api + "/api/v1/admin/dead-letters/replay", admin,
                    "{\"reason\":\"unknown_model\",\"model\":\"" + MODEL + "\"}").body());
            assertThat(replay.get("replayed").asInt()).isEqualTo(EVENTS);
            JsonNode again = JSON.readTree(post(api + "/api/v1/admin/dead-letters/replay", admin,
                    "{\"reason\":\"unknown_model\",\"model\":\"" + MODEL + "\"}").body());
            assertThat(again.get("replayed").asInt()).as("a replayed letter is not offered again").isZero();
            // the replay's record lost, as when credit-api dies between sending and marking: the operator replays again
            execute(database, "UPDATE dead_letters SET replay_id = NULL WHERE model = '" + MODEL + "'");
            JsonNode resent = JSON.readTree(post(api + "/api/v1/admin/dead-letters/replay", admin,
                    "{\"reason\":\"unknown_model\",\"model\":\"" + MODEL + "\"}").body());
            assertThat(resent.get("replayed").asInt()).isEqualTo(EVENTS);
            // and a late copy of an original, racing the replay
            ingest(settings, ingestKey, List.of(originals.get(0)));
            // one user's events share a partition: once this one is charged, every copy before it has been decided
            ingest(settings, ingestKey, List.of(event("recover-sentinel", USER, "gpt-4o")));
            awaitRows(database, "SELECT count(*) FROM usage_events WHERE user_id = '" + USER + "' AND model = 'gpt-4o'", 1);

            assertThat(count(database, "SELECT count(*) FROM usage_events WHERE user_id = '" + USER + "' AND model = '" + MODEL + "'"))
                    .as("each event charged once").isEqualTo(EVENTS);
            BigDecimal charged = decimal(database, "SELECT sum(cost) FROM usage_events WHERE user_id = '" + USER + "' AND model = '" + MODEL + "'");
            assertThat(charged).isEqualByComparingTo(PRICE_PER_EVENT.multiply(BigDecimal.valueOf(EVENTS)));
            BigDecimal sentinel = decimal(database, "SELECT sum(cost) FROM usage_events WHERE user_id = '" + USER + "' AND model = 'gpt-4o'");
            String balance = "SELECT balance FROM user_credits WHERE user_id = '" + USER + "'";
            awaitRows(database, "SELECT count(*) FROM user_credits WHERE user_id = '" + USER + "' AND balance = "
                    + new BigDecimal("100").subtract(charged).subtract(sentinel).toPlainString(), 1);
            assertThat(decimal(database, "SELECT sum(amount) FROM credit_transactions WHERE user_id = '" + USER + "'"))
                    .as("balance = sum of the ledger rows").isEqualByComparingTo(decimal(database, balance));

            JsonNode afterwards = find(get(api + "/api/v1/admin/pricing/unknown-models", admin).get("models"), MODEL);
            assertThat(afterwards.get("priced_now").asBoolean()).isTrue();
            assertThat(afterwards.get("not_replayed").asInt()).isZero();
        } finally {
            launcher.stop();
            execute("postgres", "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    /** The API quotes an imported price at once; the topology's copy of the book follows: a canary event tells. */
    private void awaitTheTopologyPrices(LocalSettings settings, String ingestKey, String database) {
        java.util.concurrent.atomic.AtomicInteger canaries = new java.util.concurrent.atomic.AtomicInteger();
        // a canary the topology dead-letters (its copy of the book is behind) is not retried: send another every 3 s
        Awaitility.await("the topology prices " + MODEL).atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO)
                .ignoreException(ConditionTimeoutException.class)
                .until(() -> {
                    ingest(settings, ingestKey, List.of(event("canary-" + canaries.getAndIncrement(), "canary@example.com", MODEL)));
                    Awaitility.await().atMost(Duration.ofSeconds(3))
                            .until(() -> count(database, "SELECT count(*) FROM usage_events WHERE user_id = 'canary@example.com'") > 0);
                    return true;
                });
    }

    private static String event(String id, String user, String model) {
        return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"provider\":\"acme\",\"model\":\"" + model
                + "\",\"input_tokens\":1000,\"output_tokens\":500,\"occurred_at\":\"" + Instant.now() + "\"}";
    }

    private void ingest(LocalSettings settings, String ingestKey, List<String> events) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + settings.ingestPort() + "/api/v1/usage/events"))
                .header("Authorization", "Bearer " + ingestKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[" + String.join(",", events) + "]")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    private HttpResponse<String> post(String url, String token, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String url, String token) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private interface Read {
        JsonNode read() throws Exception;
    }

    private static JsonNode await(Read read, Predicate<JsonNode> done) {
        return Awaitility.await().atMost(Duration.ofSeconds(60)).until(read::read, done);
    }

    private static JsonNode find(JsonNode models, String model) {
        for (JsonNode row : models) {
            if (row.get("model").asString().equals(model)) {
                return row;
            }
        }
        return null;
    }

    private static void awaitRows(String database, String countQuery, long wanted) {
        Awaitility.await(countQuery).atMost(Duration.ofSeconds(60)).until(() -> count(database, countQuery) >= wanted);
    }

    private static long count(String database, String query) throws Exception {
        return decimal(database, query).longValueExact();
    }

    private static BigDecimal decimal(String database, String query) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + database, "postgres", "");
             Statement s = c.createStatement(); ResultSet row = s.executeQuery(query)) {
            row.next();
            BigDecimal value = row.getBigDecimal(1);
            return value == null ? BigDecimal.ZERO : value;
        }
    }

    private static void execute(String database, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + database, "postgres", "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
