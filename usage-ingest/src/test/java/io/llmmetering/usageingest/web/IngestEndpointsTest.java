package io.llmmetering.usageingest.web;

import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Each format end to end on the real broker, the refusals a hostile or broken client gets, and a Kafka outage. */
@Tag("integration")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestEndpointsTest {

    private static final IngestServiceFixture FIXTURE = new IngestServiceFixture();

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> FIXTURE.jdbcUrl);
        registry.add("spring.kafka.bootstrap-servers", FIXTURE.broker::bootstrapServers);
    }

    @AfterAll
    static void close() throws Exception {
        FIXTURE.close();
    }

    @LocalServerPort
    int port;

    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    /** The OpenAPI document describes the three formats, their answers and the ingest key, and needs no key to read. */
    @Test
    void theOpenApiDocumentDescribesEachFormatAndTheIngestKey() throws Exception {
        HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/v3/api-docs")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        tools.jackson.databind.JsonNode document = tools.jackson.databind.json.JsonMapper.builder().build().readTree(answer.body());
        assertThat(document.get("components").get("securitySchemes").get("ingestKey").get("scheme").asString()).isEqualTo("bearer");
        tools.jackson.databind.JsonNode paths = document.get("paths");
        assertThat(paths.propertyNames()).containsExactlyInAnyOrder("/api/v1/usage/events", "/api/v1/events", "/api/v1/ingest/litellm");
        assertThat(paths.get("/api/v1/usage/events").get("post").get("operationId").asString()).isEqualTo("ingestEvents");
        assertThat(paths.get("/api/v1/usage/events").get("post").get("requestBody").get("content").propertyNames())
                .containsExactlyInAnyOrder("application/json", "application/x-ndjson");
        assertThat(paths.get("/api/v1/events").get("post").get("requestBody").get("content").propertyNames())
                .containsExactlyInAnyOrder("application/cloudevents+json", "application/cloudevents-batch+json");
        assertThat(paths.get("/api/v1/ingest/litellm").get("post").get("responses").get("200").toString()).contains("Answer");
        tools.jackson.databind.JsonNode nativeEvent = document.get("components").get("schemas").get("NativeEvent");
        assertThat(nativeEvent.get("properties").propertyNames()).contains("event_id", "user_id", "input_tokens", "occurred_at");
        assertThat(nativeEvent.get("required")).extracting(tools.jackson.databind.JsonNode::asString)
                .containsExactlyInAnyOrder("user_id", "provider", "model");
        assertThat(document.get("components").get("schemas").get("LiteLlmRecord").get("properties").propertyNames()).contains("startTime", "custom_llm_provider");

        // docs/openapi holds the published document clients are generated from: it must be what is served
        tools.jackson.databind.node.ObjectNode served = ((tools.jackson.databind.node.ObjectNode) document).deepCopy();
        served.remove("servers");
        java.nio.file.Path published = java.nio.file.Path.of("..", "docs", "openapi", "usage-ingest.json");
        tools.jackson.databind.json.JsonMapper json = tools.jackson.databind.json.JsonMapper.builder()
                .enable(tools.jackson.databind.SerializationFeature.INDENT_OUTPUT).build();
        if (Boolean.getBoolean("openapi.write")) {
            java.nio.file.Files.writeString(published, json.writeValueAsString(served) + "\n");
        }
        assertThat(json.readTree(java.nio.file.Files.readString(published))).as(published + " is the served document; after a deliberate "
                + "API change rewrite it with -Dopenapi.write=true").isEqualTo(served);
    }

    /** A load balancer asks the service's port, without a key, for UP or DOWN; metrics and details are on loopback. */
    @Test
    @Tag("security")
    void theServicePortAnswersHealthWithoutAKeyAndNeitherMetricsNorDetails() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.BiFunction<Integer, String, HttpResponse<String>> get = (port, path) -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        HttpResponse<String> health = get.apply(port, "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
        for (String path : List.of("/actuator/prometheus", "/actuator/health", "/actuator/metrics", "/actuator/env")) {
            assertThat(get.apply(port, path).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(get.apply(managementPort, "/actuator/prometheus").body()).contains("jvm_memory_used_bytes");
        assertThat(get.apply(managementPort, "/actuator/health").body()).contains("\"components\"");
    }

    private static String event(String id, String user) {
        return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"provider\":\"openai\",\"model\":\"gpt-4o\","
                + "\"input_tokens\":1000,\"output_tokens\":50}";
    }

    private static String fixture(String name) throws Exception {
        try (InputStream in = IngestEndpointsTest.class.getResourceAsStream("/fixtures/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    @Order(1)
    void nativeJsonSingleArrayAndNdjsonArePublishedKeyedByUser() throws Exception {
        assertThat(FIXTURE.post(port, "/api/v1/usage/events", "application/json", event("n1", "native@example.com")).statusCode()).isEqualTo(202);
        HttpResponse<String> array = FIXTURE.post(port, "/api/v1/usage/events", "application/json",
                "[" + event("n2", "native@example.com") + "," + event("n3", "other@example.com") + "]");
        assertThat(array.statusCode()).isEqualTo(202);
        assertThat(array.body()).contains("\"accepted\":2").contains("\"rejected\":[]");
        assertThat(FIXTURE.post(port, "/api/v1/usage/events", "application/x-ndjson",
                event("n4", "native@example.com") + "\n" + event("n5", "native@example.com") + "\n").statusCode()).isEqualTo(202);

        List<ConsumerRecord<String, UsageEvent>> records = FIXTURE.published(5, Duration.ofSeconds(20));
        assertThat(records).extracting(r -> r.value().getEventId()).containsExactlyInAnyOrder("n1", "n2", "n3", "n4", "n5");
        assertThat(records).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getUserId()));
        assertThat(records).allSatisfy(r -> assertThat(r.value().getSource()).isEqualTo("litellm-eu-1"));
    }

    @Test
    @Order(2)
    void openMeterCloudEventsBatchAnswers204() throws Exception {
        HttpResponse<String> response = FIXTURE.post(port, "/api/v1/events", "application/cloudevents-batch+json",
                fixture("openmeter-cloudevents-batch.json"));
        assertThat(response.statusCode()).isEqualTo(204);
        String single = fixture("openmeter-cloudevents-batch.json").strip();
        single = single.substring(1, single.indexOf("},\n  {") + 1).replace("5c10fade", "5c10fad0");
        assertThat(FIXTURE.post(port, "/api/v1/events", "application/cloudevents+json", single).statusCode()).isEqualTo(204);
        assertThat(FIXTURE.published(3, Duration.ofSeconds(20))).extracting(r -> r.value().getUserId())
                .containsExactlyInAnyOrder("customer-1@example.com", "customer-2@example.com", "customer-1@example.com");
    }

    @Test
    @Order(3)
    void liteLlmGenericApiPayloadIsTakenAndFailuresIgnored() throws Exception {
        HttpResponse<String> response = FIXTURE.post(port, "/api/v1/ingest/litellm", "application/json", fixture("litellm-generic-api-array.json"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"accepted\":2", "\"ignored\":1");
        assertThat(FIXTURE.published(2, Duration.ofSeconds(20))).extracting(r -> r.value().getUserId())
                .containsExactlyInAnyOrder("alice@example.com", "bob@example.com");
    }

    /** A key set to bill teams sends LiteLLM records to the team's account; one set to "team when no user" only falls back. */
    @Test
    @Order(3)
    void aKeyThatBillsTeamsChargesTheTeamAccount() throws Exception {
        String teamKey = FIXTURE.createKey("proxy-teams", "litellm-teams", false, "team");
        String fallbackKey = FIXTURE.createKey("proxy-fallback", "litellm-fallback", false, "team_when_no_user");
        String records = "[{\"id\":\"tm-1\",\"status\":\"success\",\"model\":\"gpt-4o\",\"custom_llm_provider\":\"openai\",\"prompt_tokens\":10,"
                + "\"completion_tokens\":2,\"metadata\":{\"user_api_key_team_id\":\"team-search\",\"user_api_key_user_id\":\"carol@example.com\"}},"
                + "{\"id\":\"tm-2\",\"status\":\"success\",\"model\":\"gpt-4o\",\"custom_llm_provider\":\"openai\",\"prompt_tokens\":10,"
                + "\"completion_tokens\":2,\"metadata\":{\"user_api_key_team_id\":\"team-search\"}}]";
        HttpResponse<String> team = FIXTURE.post(port, "/api/v1/ingest/litellm", "application/json", records, Map.of("Authorization", "Bearer " + teamKey));
        assertThat(team.statusCode()).as(team.body()).isEqualTo(200);
        assertThat(FIXTURE.published(2, Duration.ofSeconds(20))).extracting(r -> r.value().getUserId())
                .containsExactly("team:team-search", "team:team-search");
        HttpResponse<String> fallback = FIXTURE.post(port, "/api/v1/ingest/litellm", "application/json", records.replace("tm-", "fb-"),
                Map.of("Authorization", "Bearer " + fallbackKey));
        assertThat(fallback.statusCode()).as(fallback.body()).isEqualTo(200);
        assertThat(FIXTURE.published(2, Duration.ofSeconds(20))).extracting(r -> r.value().getUserId())
                .containsExactlyInAnyOrder("carol@example.com", "team:team-search");
        HttpResponse<String> teamless = FIXTURE.post(port, "/api/v1/ingest/litellm", "application/json",
                "[{\"id\":\"tm-3\",\"status\":\"success\",\"model\":\"gpt-4o\",\"prompt_tokens\":1,\"metadata\":{\"user_api_key_user_id\":\"dan\"}}]",
                Map.of("Authorization", "Bearer " + teamKey));
        assertThat(teamless.body()).contains("\"accepted\":0", "user_api_key_team_id");
    }

    @Test
    @Order(4)
    void aBatchWithBadEventsPublishesExactlyTheGoodOnesAndNamesTheBadOnes() throws Exception {
        String batch = "[" + event("p1", "partial@example.com") + ",{\"event_id\":\"p2\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":1},"
                + event("p3", "partial@example.com") + ",{\"event_id\":\"p4\",\"user_id\":\"u\",\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":-1}]";
        HttpResponse<String> response = FIXTURE.post(port, "/api/v1/usage/events", "application/json", batch);
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.body()).contains("\"accepted\":2", "\"index\":1", "\"reason\":\"missing_field\"", "\"index\":3", "\"reason\":\"invalid_usage\"");
        assertThat(FIXTURE.published(2, Duration.ofSeconds(20))).extracting(r -> r.value().getEventId()).containsExactlyInAnyOrder("p1", "p3");
    }

    @Test
    @Order(5)
    @Tag("security")
    void brokenAndHostileRequestsGetAClearProblemAndPublishNothing() throws Exception {
        record Case(String path, String contentType, String body, Map<String, String> headers, int status, String type) {
        }
        Map<String, String> auth = Map.of("Authorization", "Bearer " + FIXTURE.key);
        String revoked = FIXTURE.createKey("old", "gone", true);
        String ok = event("h1", "hostile@example.com");
        List<Case> cases = List.of(
                new Case("/api/v1/usage/events", "application/json", ok, Map.of(), 401, "unauthenticated"),
                new Case("/api/v1/usage/events", "application/json", ok, Map.of("Authorization", "Bearer mk_notarealkey00_secret"), 401, "unauthenticated"),
                new Case("/api/v1/usage/events", "application/json", ok, Map.of("Authorization", "Bearer " + revoked), 401, "unauthenticated"),
                new Case("/api/v1/usage/events", "application/json", ok, Map.of("Authorization", "Basic dXNlcjpwYXNz"), 401, "unauthenticated"),
                new Case("/api/v1/usage/events", "application/json", ok, Map.of("Authorization", "Bearer " + FIXTURE.key + "x"), 401, "unauthenticated"),
                new Case("/api/v1/ingest/litellm", "application/json", ok, Map.of(), 401, "unauthenticated"),
                // the same route spelled differently: the container routes these to the controller
                new Case("/api;x/v1/usage/events", "application/json", ok, Map.of(), 401, "unauthenticated"),
                new Case("/%61pi/v1/usage/events", "application/json", ok, Map.of(), 401, "unauthenticated"),
                new Case("/api/v1/usage/events;jsessionid=1", "application/json", ok, Map.of(), 401, "unauthenticated"),
                new Case("/api/v1/./usage/events", "application/json", ok, Map.of(), 401, "unauthenticated"),
                new Case("/api/v1/events", "application/cloudevents+json", ok, Map.of(), 401, "unauthenticated"),
                new Case("/api/v1/usage/events", "text/plain", ok, auth, 415, "unsupported-media-type"),
                new Case("/api/v1/usage/events", "application/xml", "<event/>", auth, 415, "unsupported-media-type"),
                new Case("/api/v1/events", "application/json-patch+json", ok, auth, 415, "unsupported-media-type"),
                new Case("/api/v1/usage/events", "application/json", "{\"event_id\": ", auth, 400, "malformed-body"),
                new Case("/api/v1/usage/events", "application/json", "[1, 2, 3", auth, 400, "malformed-body"),
                new Case("/api/v1/usage/events", "application/json", "\"just a string\"", auth, 400, "malformed-body"),
                new Case("/api/v1/usage/events", "application/json", "[]", auth, 400, "no-events"),
                new Case("/api/v1/usage/events", "application/json", "{\"a\":1}".repeat(1), auth, 400, null),
                new Case("/api/v1/usage/events", "application/x-ndjson", "{\"a\":1}\n{oops}\n", auth, 400, "malformed-body"),
                new Case("/api/v1/events", "application/cloudevents-batch+json", "{\"id\":\"x\"}", auth, 400, "malformed-body"),
                new Case("/api/v1/events", "application/cloudevents-batch+json", "[{\"id\":\"x\",\"subject\":\"u\"}]", auth, 400, "invalid-events"),
                new Case("/api/v1/usage/events", "application/json", "[" + "1,".repeat(10_001) + "1]", auth, 413, "too-many-events"),
                new Case("/api/v1/usage/events", "application/json", "[" + ok + "]" + " ".repeat(5 * 1024 * 1024), auth, 413, "body-too-large"),
                new Case("/api/v1/usage/events", "application/json",
                        "{\"event_id\":\"h2\",\"user_id\":\"u\",\"provider\":\"o\",\"model\":\"gpt-4o\",\"input_tokens\":1,\"occurred_at\":\"2099-01-01T00:00:00Z\"}",
                        auth, 400, null),
                new Case("/api/v1/usage/events", "application/json",
                        "{\"event_id\":\"h3\",\"user_id\":\"u\",\"provider\":\"o\",\"model\":\"gpt-4o\",\"input_tokens\":1,\"power_level\":\"ludicrous\"}",
                        auth, 400, null));
        for (Case c : cases) {
            HttpResponse<String> response = FIXTURE.post(port, c.path(), c.contentType(), c.body(), c.headers());
            assertThat(response.statusCode()).as(c.path() + " " + c.contentType() + " " + c.headers().keySet()).isEqualTo(c.status());
            if (c.type() != null) {
                assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("application/problem+json"));
                assertThat(response.body()).contains("/problems/" + c.type());
            }
            assertThat(response.body()).doesNotContain(FIXTURE.key);
        }
        assertThat(FIXTURE.published(1, Duration.ofSeconds(3))).isEmpty();
    }

    @Test
    @Order(6)
    void whileKafkaIsDownTheServiceAnswers503AndRecoversByItself() throws Exception {
        FIXTURE.broker.stop();
        HttpResponse<String> down = FIXTURE.post(port, "/api/v1/usage/events", "application/json", event("k1", "outage@example.com"));
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.headers().firstValue("Retry-After")).contains("5");
        assertThat(down.body()).contains("/problems/kafka-unavailable");

        FIXTURE.broker.start();
        // the same event again until the producer has the broker back: it is published once
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(
                () -> FIXTURE.post(port, "/api/v1/usage/events", "application/json", event("k1", "outage@example.com")).statusCode() == 202);
        assertThat(FIXTURE.published(1, Duration.ofSeconds(30))).extracting(r -> r.value().getEventId()).contains("k1");
    }
}
