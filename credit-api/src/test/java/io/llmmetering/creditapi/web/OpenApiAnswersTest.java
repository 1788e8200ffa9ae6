package io.llmmetering.creditapi.web;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every JSON answer of the API, for every operation, matches the schema the OpenAPI document publishes for it: a
 * client generated from {@code /v3/api-docs} reads what the API sends, field by field, nulls included.
 */
@Tag("integration")
class OpenApiAnswersTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();

    @Test
    void everyOperationAnswersWhatItsSchemaDescribes() throws Exception {
        OpenApiContract contract = new OpenApiContract(api.get("/v3/api-docs", null).body());
        String user = "contract-" + System.nanoTime() + "@example.com";
        String token = api.userToken(user);
        String users = "/api/v1/admin/users/" + user;
        Call call = (method, path, bearer, body) -> {
            HttpResponse<String> answer = api.send(method, path, bearer, body);
            assertThat(answer.statusCode()).as(method + " " + path + ": " + answer.body()).isBetween(200, 299);
            if (answer.statusCode() != 204) {
                contract.check(method, path, answer);
            }
            return answer;
        };

        call.send("GET", "/api/v1/system/status", null, null);
        call.send("GET", "/api/v1/system/status", admin, null);
        call.send("GET", "/api/v1/credits/pricing", null, null);
        call.send("GET", "/api/v1/admin/pricing", admin, null);
        call.send("POST", "/api/v1/credits/calculate-cost", null, "{\"tokens_used\":1000,\"model\":\"gpt-4o\"}");

        call.send("GET", "/api/v1/credits/balance", token, null);
        call.send("POST", "/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":100}");
        String payment = "pi_contract_" + System.nanoTime();
        call.send("POST", "/api/v1/admin/credits/purchase", admin, "{\"user_id\":\"" + user + "\",\"amount\":10,\"external_reference\":\"" + payment + "\"}");
        call.send("POST", "/api/v1/admin/credits/refund", admin, "{\"user_id\":\"" + user + "\",\"amount\":1,\"external_reference\":\"" + payment + "\",\"reason\":\"contract\"}");
        call.send("POST", "/api/v1/admin/credits/adjust", admin, "{\"user_id\":\"" + user + "\",\"amount\":-1,\"reason\":\"contract\"}");
        call.send("POST", "/api/v1/credits/deduct", token,
                "{\"amount\":0.5,\"reason\":\"contract\",\"metadata\":{\"model\":\"gpt-4o\",\"provider\":\"openai\",\"tokens_used\":100}}");
        call.send("GET", "/api/v1/credits/transactions?limit=1", token, null);
        call.send("GET", users + "/balance", admin, null);
        call.send("GET", users + "/transactions", admin, null);
        call.send("GET", "/api/v1/credits/usage?group_by=day", token, null);
        call.send("GET", users + "/usage", admin, null);
        call.send("GET", "/api/v1/admin/usage", admin, null);

        call.send("PUT", users + "/tier", admin, "{\"tier\":\"professional\"}");
        call.send("PUT", users + "/monthly-cap", admin, "{\"monthly_cap\":null}");
        call.send("POST", users + "/suspend", admin, null);
        call.send("POST", users + "/resume", admin, null);

        String code = "CONTRACT" + System.nanoTime();
        call.send("POST", "/api/v1/admin/coupons", admin, "{\"code\":\"" + code + "\",\"discount_type\":\"fixed\",\"discount_value\":3}");
        call.send("POST", "/api/v1/credits/coupons/redeem", token, "{\"code\":\"" + code + "\"}");
        call.send("GET", "/api/v1/admin/coupons?include_inactive=true", admin, null);
        call.send("POST", "/api/v1/admin/coupons/" + code + "/deactivate", admin, null);

        JsonNode hold = JSON.readTree(call.send("POST", "/api/v1/credits/holds", token,
                "{\"request_id\":\"contract-1\",\"model\":\"gpt-4o\",\"max_tokens\":100}").body());
        call.send("POST", "/api/v1/credits/holds", token, "{\"request_id\":\"contract-1\",\"model\":\"gpt-4o\",\"max_tokens\":100}");
        call.send("DELETE", "/api/v1/credits/holds/" + hold.get("hold_id").asString(), token, null);
        call.send("GET", "/api/v1/credits/authorize?estimated_cost=1", token, null);
        call.send("GET", "/api/v1/credits/authorize?estimated_cost=100000", token, null);

        JsonNode key = JSON.readTree(call.send("POST", "/api/v1/admin/ingest-keys", admin, "{\"name\":\"contract proxy\"}").body());
        call.send("GET", "/api/v1/admin/ingest-keys?include_revoked=true", admin, null);
        call.send("DELETE", "/api/v1/admin/ingest-keys/" + key.get("id").asString(), admin, null);

        call.send("PUT", "/api/v1/admin/pricing/models/contract-model-" + System.nanoTime(), admin,
                "{\"provider\":\"self-hosted\",\"input_per_1k\":0.001,\"output_per_1k\":0.002,\"aliases\":[]}");
        String litellm = Files.readString(Path.of("..", "metering-core", "src", "test", "resources", "litellm", "model_prices_trimmed.json"));
        call.send("POST", "/api/v1/admin/pricing/import", admin, litellm);
        call.send("GET", "/api/v1/admin/pricing/unknown-models", admin, null);
        call.send("GET", "/api/v1/admin/dead-letters?limit=5", admin, null);
        call.send("POST", "/api/v1/admin/dead-letters/replay", admin, "{\"model\":\"contract-nothing-" + System.nanoTime() + "\"}");

        call.send("PUT", users + "/openrouter-account", admin, "{\"api_key\":\"sk-or-v1-contract-key\",\"label\":\"team\"}");
        call.send("GET", users + "/openrouter-account", admin, null);
        call.send("GET", "/api/v1/openrouter/account", token, null);
        call.send("POST", "/api/v1/admin/reconciliation/openrouter?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z", admin, null);
        call.send("DELETE", users + "/openrouter-account", admin, null);

        JsonNode webhook = JSON.readTree(call.send("POST", "/api/v1/admin/webhooks", admin,
                "{\"url\":\"http://127.0.0.1:9/contract\",\"event_types\":[\"webhook.test\"]}").body());
        String webhooks = "/api/v1/admin/webhooks/" + webhook.get("id").asString();
        call.send("GET", "/api/v1/admin/webhooks", admin, null);
        call.send("GET", webhooks, admin, null);
        call.send("POST", webhooks + "/pause", admin, null);
        String delivery = JSON.readTree(call.send("POST", webhooks + "/test", admin, null).body()).get("delivery_id").asString();
        call.send("GET", webhooks + "/deliveries", admin, null);
        call.send("GET", webhooks + "/deliveries/" + delivery, admin, null);
        call.send("POST", webhooks + "/deliveries/" + delivery + "/redeliver", admin, null);
        call.send("POST", webhooks + "/resume", admin, null);
        call.send("DELETE", webhooks, admin, null);

        assertThat(contract.checked()).containsExactlyInAnyOrderElementsOf(contract.operationsAnsweringJson());
    }

    @FunctionalInterface
    private interface Call {
        HttpResponse<String> send(String method, String path, String bearer, String body) throws Exception;
    }
}
