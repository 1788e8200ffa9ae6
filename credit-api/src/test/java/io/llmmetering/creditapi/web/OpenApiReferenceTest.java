package io.llmmetering.creditapi.web;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/api-reference.md lists exactly the operations of the OpenAPI document the running API serves. */
@Tag("integration")
class OpenApiReferenceTest {

    private static final Pattern ROW = Pattern.compile("(?m)^\\| (GET|POST|PUT|DELETE|PATCH) \\| (/\\S+) \\|");

    @Test
    void theApiReferenceAndTheOpenApiDocumentListTheSameOperations() throws Exception {
        ApiServer api = ApiServer.get();
        JsonNode document = JsonMapper.builder().build().readTree(api.get("/v3/api-docs", null).body());
        Set<String> served = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").properties().iterator(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            path.getValue().propertyNames().forEach(method -> served.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path.getKey()));
        }
        Set<String> documented = new TreeSet<>();
        Matcher row = ROW.matcher(Files.readString(Path.of("..", "docs", "api-reference.md")));
        while (row.find()) {
            documented.add(row.group(1) + " " + row.group(2));
        }
        assertThat(documented).isEqualTo(served);
        assertThat(document.get("components").get("securitySchemes").get("bearer").get("scheme").asString()).isEqualTo("bearer");
        Set<String> operationIds = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : document.get("paths").properties()) {
            for (Map.Entry<String, JsonNode> method : path.getValue().properties()) {
                JsonNode operation = method.getValue();
                String name = method.getKey() + " " + path.getKey();
                assertThat(operation.path("summary").asString("")).as(name + " summary").isNotBlank();
                assertThat(operationIds.add(operation.get("operationId").asString())).as(name + " operation id " + operation.get("operationId")).isTrue();
                assertThat(operation.get("operationId").asString()).as(name).matches("[a-z][A-Za-z]+");
                assertThat(operation.get("security")).as(name + " security").isNotNull();
                assertThat(operation.get("responses").has("500")).as(name + " errors").isTrue();
                assertThat(operation.get("responses").get("500").get("content").has("application/problem+json")).isTrue();
            }
        }
        JsonNode holds = document.get("paths").get("/api/v1/credits/holds").get("post").get("security");
        assertThat(holds.toString()).contains("ingestKey", "bearer", "sessionCookie");
        assertThat(document.get("paths").get("/api/v1/credits/pricing").get("get").get("security").get(0).isEmpty()).as("public").isTrue();
        assertThat(document.get("paths").get("/api/v1/credits/deduct").get("post").get("responses").has("402")).isTrue();
        JsonNode schemas = document.get("components").get("schemas");
        assertThat(schemas.get("AllocateRequest").get("required")).extracting(JsonNode::asString).containsExactlyInAnyOrder("user_id", "amount");
        assertThat(schemas.get("CouponRequest").get("required").toString()).doesNotContain("max_uses", "expires_at", "description");
        assertThat(schemas.get("MonthlyCapRequest").has("required")).as("null removes the cap").isFalse();
        assertPublished(document, Path.of("..", "docs", "openapi", "credit-api.json"));
        // the seed's endpoints are all there
        assertThat(served).contains("GET /api/v1/credits/balance", "POST /api/v1/credits/calculate-cost", "POST /api/v1/credits/deduct",
                "GET /api/v1/credits/transactions", "POST /api/v1/admin/credits/allocate", "GET /api/v1/system/status");
    }

    /**
     * docs/openapi holds the published document clients are generated from (the api-clients module does so at build
     * time): it must be what the service serves. {@code -Dopenapi.write=true} rewrites it after a deliberate change.
     */
    static void assertPublished(JsonNode served, Path published) throws java.io.IOException {
        tools.jackson.databind.node.ObjectNode document = ((tools.jackson.databind.node.ObjectNode) served).deepCopy();
        document.remove("servers"); // the test server's random port
        JsonMapper json = JsonMapper.builder().enable(tools.jackson.databind.SerializationFeature.INDENT_OUTPUT).build();
        if (Boolean.getBoolean("openapi.write")) {
            Files.writeString(published, json.writeValueAsString(document) + "\n");
        }
        assertThat(json.readTree(Files.readString(published))).as(published + " is the document the service serves; after a deliberate API change "
                + "rewrite it with -Dopenapi.write=true").isEqualTo(document);
    }
}
