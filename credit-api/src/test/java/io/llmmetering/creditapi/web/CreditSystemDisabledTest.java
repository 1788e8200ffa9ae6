package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.wiring.CreditApiApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's kill switch: with CREDIT_SYSTEM_ENABLED=false reads still work and deduct charges nothing, saying so. */
@Tag("integration")
class CreditSystemDisabledTest {

    private static final ApiServer shared = ApiServer.get();
    private static ConfigurableApplicationContext disabled;
    private static int port;

    @BeforeAll
    static void startASecondInstanceWithTheSystemDisabled() {
        disabled = new SpringApplicationBuilder(CreditApiApplication.class).run(
                "--server.port=0", "--management.server.port=0",
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/" + shared.database,
                "--credit.system-enabled=false",
                "--spring.kafka.bootstrap-servers=" + shared.broker.bootstrapServers(),
                "--credit.redis-url=redis://127.0.0.1:6379/13",
                "--credit.auth.jwt-secret=" + ApiServer.JWT_SECRET);
        port = ((WebServerApplicationContext) disabled).getWebServer().getPort();
    }

    @AfterAll
    static void stop() {
        disabled.close();
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return shared.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void deductIsANoOpThatSaysSoAndReadsStillAnswer() throws Exception {
        String user = "switched-off-" + System.nanoTime() + "@example.com";
        shared.post("/api/v1/admin/credits/allocate", shared.adminToken(), "{\"user_id\":\"" + user + "\",\"amount\":5}");
        String token = shared.userToken(user);

        HttpResponse<String> deducted = call("POST", "/api/v1/credits/deduct", token, "{\"amount\":50}");
        assertThat(deducted.statusCode()).isEqualTo(200);
        assertThat(deducted.body()).startsWith("{\"new_balance\":5.0,\"transaction_id\":null,\"credit_system_enabled\":false");
        assertThat(call("GET", "/api/v1/credits/balance", token, null).body()).startsWith("{\"balance\":5.0,");
        assertThat(call("GET", "/api/v1/credits/transactions", token, null).body()).contains("\"transaction_type\":\"allocation\"")
                .doesNotContain("deduction");
        assertThat(call("GET", "/api/v1/system/status", token, null).body()).contains("\"credit_system_enabled\":false");
        // this instance has no ENCRYPTION_KEY: OpenRouter keys cannot be stored, and it says why
        HttpResponse<String> openRouter = call("GET", "/api/v1/openrouter/account", token, null);
        assertThat(openRouter.statusCode()).isEqualTo(503);
        assertThat(openRouter.body()).contains("encryption-key-missing");
        HttpResponse<String> hold = call("POST", "/api/v1/credits/holds", token, "{\"request_id\":\"r-1\",\"estimated_cost\":1000}");
        assertThat(hold.statusCode()).isEqualTo(201);
        assertThat(hold.body()).isEqualTo("{\"hold_id\":null,\"allowed\":true,\"credit_system_enabled\":false}");
        HttpResponse<String> authorized = call("GET", "/api/v1/credits/authorize?estimated_cost=1000", token, null);
        assertThat(authorized.body()).isEqualTo("{\"allowed\":true,\"credit_system_enabled\":false}");

        // the switched-off answers are answers the OpenAPI document describes too
        OpenApiContract contract = new OpenApiContract(call("GET", "/v3/api-docs", token, null).body());
        contract.check("POST", "/api/v1/credits/deduct", deducted);
        contract.check("POST", "/api/v1/credits/holds", hold);
        contract.check("GET", "/api/v1/credits/authorize", authorized);
    }
}
