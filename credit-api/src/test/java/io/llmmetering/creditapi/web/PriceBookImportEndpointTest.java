package io.llmmetering.creditapi.web;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** An operator imports a whole price book: sees what would change, applies it, and the API prices with it. */
@Tag("integration")
class PriceBookImportEndpointTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();

    @Test
    void liteLlmsTableIsPlannedWithReasonsAndNothingIsPublishedOnADryRun() throws Exception {
        String table = Files.readString(Path.of("..", "metering-core", "src", "test", "resources", "litellm", "model_prices_trimmed.json"));
        HttpResponse<String> answer = api.post("/api/v1/admin/pricing/import", admin, table);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode plan = JSON.readTree(answer.body());
        assertThat(plan.get("format").asString()).isEqualTo("litellm");
        assertThat(plan.get("dry_run").asBoolean()).isTrue();
        assertThat(plan.get("published").asInt()).isZero();
        assertThat(plan.get("added").toString()).contains("\"model\":\"bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0\"",
                "\"provider\":\"bedrock\"", "\"input_per_1k\":0.003");
        assertThat(plan.get("skipped").toString()).contains("{\"model\":\"dall-e-3\",\"reason\":\"not_priced_by_tokens\"",
                "{\"model\":\"azure/gpt-4-vision\",\"reason\":\"no_per_token_price\"", "{\"model\":\"mistral/broken-price\",\"reason\":\"invalid_price\"");
        assertThat(api.post("/api/v1/credits/calculate-cost", null,
                "{\"input_tokens\":1000,\"model\":\"bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void anAppliedImportIsPublishedUnderOneVersionAndPricedWithThenUnchanged() throws Exception {
        String model = "imported-" + System.nanoTime();
        String table = "{\"" + model + "\": {\"input_cost_per_token\": 0.000001, \"output_cost_per_token\": 0.000004, "
                + "\"litellm_provider\": \"self-hosted\", \"mode\": \"chat\"}}";
        HttpResponse<String> applied = api.post("/api/v1/admin/pricing/import?dry_run=false", admin, table);
        assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
        JsonNode result = JSON.readTree(applied.body());
        assertThat(result.get("published").asInt()).isEqualTo(1);
        assertThat(result.get("version").asString()).startsWith("import-");
        String quote = "{\"input_tokens\":1000,\"output_tokens\":1000,\"model\":\"" + model + "\"}";
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(api.post("/api/v1/credits/calculate-cost", null, quote).body()).isEqualTo("{\"cost\":0.005}"));
        JsonNode again = JSON.readTree(api.post("/api/v1/admin/pricing/import?dry_run=false", admin, table).body());
        assertThat(again.get("unchanged").asInt()).isEqualTo(1);
        assertThat(again.get("published").asInt()).isZero();
    }

    @Test
    @Tag("security")
    void onlyAnAdminImportsAndWhatIsNotAPriceBookIsRefused() throws Exception {
        String table = "{\"x-model\": {\"input_cost_per_token\": 0.000001, \"output_cost_per_token\": 0.000001}}";
        assertThat(api.post("/api/v1/admin/pricing/import?dry_run=false", api.userToken("mallory@example.com"), table).statusCode()).isEqualTo(403);
        assertThat(api.post("/api/v1/admin/pricing/import", null, table).statusCode()).isEqualTo(401);
        for (String bad : new String[] {"[]", "{\"models\": 7}", "not json", "{\"models\": [{\"model\": \"m\"}]}"}) {
            HttpResponse<String> refused = api.post("/api/v1/admin/pricing/import", admin, bad);
            assertThat(refused.statusCode()).as(bad + " -> " + refused.body()).isEqualTo(400);
            assertThat(refused.body()).contains("https://llm-metering.dev/problems/");
        }
        HttpResponse<String> tooBig = api.post("/api/v1/admin/pricing/import", admin, "{\"a\":\"" + "x".repeat(17 * 1024 * 1024) + "\"}");
        assertThat(tooBig.statusCode()).isEqualTo(413);
    }
}
