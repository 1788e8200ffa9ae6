package io.llmmetering.apiclients;

import io.llmmetering.clients.credit.ApiClient;
import io.llmmetering.clients.credit.ApiException;
import io.llmmetering.clients.credit.api.AccountsApi;
import io.llmmetering.clients.credit.api.CreditsApi;
import io.llmmetering.clients.credit.api.ExportsApi;
import io.llmmetering.clients.credit.api.HoldsApi;
import io.llmmetering.clients.credit.api.IngestKeysApi;
import io.llmmetering.clients.credit.model.AllocateRequest;
import io.llmmetering.clients.credit.model.Balance;
import io.llmmetering.clients.credit.model.CostRequest;
import io.llmmetering.clients.credit.model.Hold;
import io.llmmetering.clients.credit.model.HoldRequest;
import io.llmmetering.clients.credit.model.IngestKeyRequest;
import io.llmmetering.clients.credit.model.Receipt;
import io.llmmetering.clients.credit.model.Transactions;
import io.llmmetering.clients.ingest.api.IngestApi;
import io.llmmetering.clients.ingest.model.Answer;
import io.llmmetering.clients.ingest.model.NativeEvent;
import io.llmmetering.creditapi.auth.TokenIssuer;
import io.llmmetering.local.FreePorts;
import io.llmmetering.local.LocalLauncher;
import io.llmmetering.local.LocalSecret;
import io.llmmetering.local.LocalSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The main flows through Java clients that openapi-generator made at build time from docs/openapi (the documents
 * the services are tested to serve), against the whole system: allocate, balance, hold, the hold settled by the
 * usage event that carries its request id, a page of transactions, an export, and a refusal as problem+json.
 */
@Tag("integration")
class GeneratedClientsTest {

    @Test
    void theGeneratedClientsDriveTheMainFlows(@TempDir Path dataDir) throws Exception {
        String database = "t_clients_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        int kafkaPort = FreePorts.pair();
        LocalSettings settings = new LocalSettings(dataDir, kafkaPort, kafkaPort + 1, FreePorts.one(), FreePorts.one(),
                "jdbc:postgresql://127.0.0.1:5432/" + database, "postgres", "redis://127.0.0.1:" + FreePorts.one() + "/0", true, 0, Optional.empty());
        LocalLauncher launcher = new LocalLauncher();
        try {
            launcher.start(settings);
            TokenIssuer tokens = new TokenIssuer(LocalSecret.jwtSecret(settings.dataDir(), Map.of()));
            String api = "http://127.0.0.1:" + settings.apiPort();
            String user = "client-" + System.nanoTime() + "@example.com";
            ApiClient asAdmin = credit(api, tokens.admin("ops@example.com", Duration.ofMinutes(10)));
            ApiClient asUser = credit(api, tokens.user(user, Duration.ofMinutes(10)));

            String ingestKey = new IngestKeysApi(asAdmin).createIngestKey(new IngestKeyRequest().name("generated-client proxy")).getKey();
            Receipt allocated = new AccountsApi(asAdmin).allocateCredits(new AllocateRequest().userId(user).amount(new BigDecimal("10")), null);
            assertThat(allocated.getNewBalance()).isEqualByComparingTo("10");
            assertThat(new CreditsApi(asUser).getMyBalance().getBalance()).isEqualByComparingTo("10");

            Hold hold = new HoldsApi(credit(api, ingestKey)).placeHold(new HoldRequest().userId(user).requestId("call-1").estimatedCost(new BigDecimal("2")));
            assertThat(hold.getAllowed()).isTrue();
            assertThat(new CreditsApi(asUser).getMyBalance().getHeld()).isEqualByComparingTo("2");

            BigDecimal cost = new CreditsApi(asUser).calculateCost(new CostRequest().model("gpt-4o").inputTokens(1000L).outputTokens(200L)).getCost();
            io.llmmetering.clients.ingest.ApiClient ingest = new io.llmmetering.clients.ingest.ApiClient();
            ingest.updateBaseUri("http://127.0.0.1:" + settings.ingestPort());
            ingest.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + ingestKey));
            Answer answer = new IngestApi(ingest).ingestEvents(List.of(new NativeEvent().eventId("call-1").userId(user).provider("openai")
                    .model("gpt-4o").inputTokens(1000L).outputTokens(200L)), null);
            assertThat(answer.getAccepted()).isEqualTo(1);
            assertThat(answer.getRejected()).isEmpty();

            Balance settled = Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> new CreditsApi(asUser).getMyBalance(), balance -> balance.getHeld().signum() == 0
                            && balance.getBalance().compareTo(new BigDecimal("10").subtract(cost)) == 0);
            assertThat(settled.getAvailable()).isEqualByComparingTo(new BigDecimal("10").subtract(cost));

            Transactions page = new CreditsApi(asUser).listMyTransactions(1, null, null, null, null);
            assertThat(page.getTransactions()).singleElement().satisfies(row -> {
                assertThat(row.getTransactionType()).isEqualTo("usage");
                assertThat(row.getAmount()).isEqualByComparingTo(cost.negate());
            });
            assertThat(page.getNextCursor()).isNotNull();
            Transactions rest = new CreditsApi(asUser).listMyTransactions(10, page.getNextCursor(), null, null, null);
            assertThat(rest.getTransactions()).extracting(t -> t.getTransactionType()).containsExactly("allocation");

            String csv = java.nio.file.Files.readString(new ExportsApi(asUser).exportMyTransactions(null, null, null).toPath());
            assertThat(csv.lines().findFirst()).contains("created_at,transaction_id,user_id,transaction_type,amount,balance_after,reason,provider,"
                    + "model,tokens_used,power_level,event_count,metadata");
            assertThat(csv.lines().count()).isEqualTo(3);
            assertThat(csv).contains(",allocation,10.000000000,", ",usage," + cost.negate().setScale(9).toPlainString() + ",");

            assertThatThrownBy(() -> new HoldsApi(credit(api, ingestKey)).placeHold(new HoldRequest().userId(user).requestId("call-2")
                    .estimatedCost(new BigDecimal("1000"))))
                    .isInstanceOfSatisfying(ApiException.class, refused -> {
                        assertThat(refused.getCode()).isEqualTo(402);
                        assertThat(refused.getResponseBody()).contains("https://llm-metering.dev/problems/insufficient-credits");
                    });
        } finally {
            launcher.stop();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    private static ApiClient credit(String baseUri, String bearer) {
        ApiClient client = new ApiClient();
        client.updateBaseUri(baseUri);
        client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + bearer));
        return client;
    }
}
