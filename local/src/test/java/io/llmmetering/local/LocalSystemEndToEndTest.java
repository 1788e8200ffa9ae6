package io.llmmetering.local;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.creditapi.auth.TokenIssuer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole system as the README's first command runs it (in-JVM broker, topology, credit-api, usage-ingest, and
 * the embedded Redis the launcher starts when none answers),
 * driven through HTTP with retried duplicates and bad events: every user's spend in the ledger equals the
 * price of their unique events to the nano-credit, and every balance equals its ledger rows.
 */
@Tag("integration")
class LocalSystemEndToEndTest {

    @Test
    void proxyTrafficEndsInTheLedgerExactlyOnceToTheNanoCredit(@TempDir Path dataDir) throws Exception {
        String database = "t_e2e_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        int kafkaPort = FreePorts.pair();
        LocalSettings settings = new LocalSettings(dataDir, kafkaPort, kafkaPort + 1, FreePorts.one(), FreePorts.one(),
                "jdbc:postgresql://127.0.0.1:5432/" + database, "postgres",
                // no Redis answers on this port: the launcher starts its embedded redis-server there
                "redis://127.0.0.1:" + FreePorts.one() + "/0", true, 3_000,
                // a trimmed copy of LiteLLM's price table, imported at start as --prices does
                java.util.Optional.of(Path.of("..", "metering-core", "src", "test", "resources", "litellm", "model_prices_trimmed.json").toAbsolutePath()));
        LocalLauncher launcher = new LocalLauncher();
        try {
            String key = launcher.start(settings);
            long discrepancies = new DemoTraffic(settings, key, PriceBookReader.defaultPriceBook()).run(settings.demoEvents());
            assertThat(discrepancies).isZero();
            assertTheApiServesALedgerBalanceToItsUser(settings, database);
            assertTheImportedPricesAreQuotedAndTheCommandPlansAgainstThem(settings);
            assertEveryMetricTheAlertsAndTheDashboardQueryIsExported(settings, launcher);
        } finally {
            launcher.stop();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    /** The REST API of the same launcher answers a demo user's balance, to the nano-credit of the ledger. */
    private static void assertTheApiServesALedgerBalanceToItsUser(LocalSettings settings, String database) throws Exception {
        String user;
        BigDecimal balance;
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + database, "postgres", "");
             Statement s = c.createStatement(); ResultSet row = s.executeQuery("SELECT user_id, balance FROM user_credits ORDER BY balance LIMIT 1")) {
            assertThat(row.next()).isTrue();
            user = row.getString(1);
            balance = row.getBigDecimal(2);
        }
        String token = new TokenIssuer(LocalSecret.jwtSecret(settings.dataDir(), Map.of())).user(user, Duration.ofMinutes(5));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + settings.apiPort() + "/api/v1/credits/balance"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new BigDecimal(response.body().replaceAll("^\\{\"balance\":([-0-9.E]+),.*$", "$1"))).isEqualByComparingTo(balance);
    }

    /**
     * The alert rules and the dashboard query only metrics the running services really export (the topology's,
     * exported by metering-streams' Spring application which the launcher does not run, are checked by
     * MeteringStreamsApplicationTest).
     */
    private static void assertEveryMetricTheAlertsAndTheDashboardQueryIsExported(LocalSettings settings, LocalLauncher launcher) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        TokenIssuer tokens = new TokenIssuer(LocalSecret.jwtSecret(settings.dataDir(), Map.of()));
        String api = "http://127.0.0.1:" + settings.apiPort();
        // one allocation and one refused deduct, so the ledger's operation counters exist
        http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/admin/credits/allocate")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + tokens.admin("ops@example.com", Duration.ofMinutes(5)))
                .POST(HttpRequest.BodyPublishers.ofString("{\"user_id\":\"metrics@example.com\",\"amount\":1}")).build(), HttpResponse.BodyHandlers.ofString());
        http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/credits/deduct")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + tokens.user("metrics@example.com", Duration.ofMinutes(5)))
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":5}")).build(), HttpResponse.BodyHandlers.ofString());
        StringBuilder exported = new StringBuilder();
        for (String metrics : new String[]{launcher.creditApiMetricsUrl(), launcher.ingestMetricsUrl()}) {
            exported.append(http.send(HttpRequest.newBuilder(URI.create(metrics)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        }
        for (String metric : DeploymentFiles.referencedMetrics()) {
            if (!metric.startsWith(DeploymentFiles.TOPOLOGY_METRICS)) {
                assertThat(exported.toString()).as(metric).containsPattern("(?m)^" + metric + "[{ ]");
            }
        }
    }

    /** --prices imported LiteLLM's table at start; `prices import` plans against the running system. */
    private static void assertTheImportedPricesAreQuotedAndTheCommandPlansAgainstThem(LocalSettings settings) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String quote = "{\"input_tokens\":1000,\"output_tokens\":1000,\"model\":\"openrouter/anthropic/claude-3-haiku\"}";
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + settings.apiPort() + "/api/v1/credits/calculate-cost")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(quote)).build(), HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("{\"cost\":0.0015}"));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int exit = LocalCommand.commandLine(Map.of()).setOut(new java.io.PrintWriter(out, true)).execute("prices", "import",
                settings.priceBook().orElseThrow().toString(), "--api", "http://127.0.0.1:" + settings.apiPort(), "--data-dir", settings.dataDir().toString());
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("\"format\":\"litellm\"", "\"dry_run\":true", "\"published\":0");
    }
}
