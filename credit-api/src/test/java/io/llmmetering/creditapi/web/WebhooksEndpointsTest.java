package io.llmmetering.creditapi.web;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Webhooks end to end: registered through the API, sent by the dispatcher, verified by a receiver of our own making. */
@Tag("integration")
class WebhooksEndpointsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();

    private JsonNode register(WebhookReceiver receiver, String types) throws Exception {
        HttpResponse<String> created = api.post("/api/v1/admin/webhooks", admin,
                "{\"url\":\"" + receiver.url() + "\",\"event_types\":[" + types + "],\"description\":\"test receiver\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode endpoint = JSON.readTree(created.body());
        assertThat(endpoint.get("secret").asString()).startsWith("whsec_");
        receiver.secret(endpoint.get("secret").asString());
        return endpoint;
    }

    private String sendTest(JsonNode endpoint) throws Exception {
        HttpResponse<String> sent = api.post("/api/v1/admin/webhooks/" + endpoint.get("id").asString() + "/test", admin, null);
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
        return JSON.readTree(sent.body()).get("delivery_id").asString();
    }

    private JsonNode delivery(JsonNode endpoint, String id) throws Exception {
        return JSON.readTree(api.get("/api/v1/admin/webhooks/" + endpoint.get("id").asString() + "/deliveries/" + id, admin).body());
    }

    private JsonNode awaitStatus(JsonNode endpoint, String id, String status) {
        return Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> delivery(endpoint, id), d -> d.get("status").asString().equals(status));
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains("\"type\":\"https://llm-metering.dev/problems/" + type + "\"");
    }

    @Test
    void aDeliveryThatFailsIsRetriedUntilTheReceiverVerifiesItAndItsIdIsHandledOnce() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(2, WebhookReceiver.Behaviour.NORMAL)) {
            JsonNode endpoint = register(receiver, "\"webhook.test\",\"balance.low\"");
            String id = sendTest(endpoint);
            JsonNode delivered = awaitStatus(endpoint, id, "delivered");
            assertThat(delivered.get("attempts").asInt()).isEqualTo(3);
            assertThat(delivered.get("last_status_code").asInt()).isEqualTo(204);
            assertThat(delivered.get("last_error").isNull()).isTrue();
            assertThat(receiver.requests).hasSize(3).allMatch(WebhookReceiver.Received::verified);
            assertThat(receiver.attemptsById()).containsOnlyKeys(delivered.get("message_id").asString());
            JsonNode body = JSON.readTree(receiver.requests.get(2).body());
            assertThat(body.get("type").asString()).isEqualTo("webhook.test");
            assertThat(body.get("data").get("endpoint_id").asString()).isEqualTo(endpoint.get("id").asString());

            HttpResponse<String> again = api.post("/api/v1/admin/webhooks/" + endpoint.get("id").asString() + "/deliveries/" + id + "/redeliver", admin, null);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.requests.size() == 4);
            awaitStatus(endpoint, id, "delivered");
            assertThat(receiver.handledOnce).as("the receiver dedupes on webhook-id").hasSize(1);

            JsonNode log = JSON.readTree(api.get("/api/v1/admin/webhooks/" + endpoint.get("id").asString() + "/deliveries?status=delivered", admin).body());
            assertThat(log.get("deliveries")).hasSize(1);
            assertThat(api.get("/api/v1/admin/webhooks", admin).body()).contains(endpoint.get("id").asString()).doesNotContain("whsec_");
        }
    }

    @Test
    void aReceiverThatNeverAcceptsIsTriedOnTheScheduleThenMarkedFailed() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(Integer.MAX_VALUE, WebhookReceiver.Behaviour.NORMAL)) {
            JsonNode endpoint = register(receiver, "\"webhook.test\"");
            JsonNode failed = awaitStatus(endpoint, sendTest(endpoint), "failed");
            assertThat(failed.get("attempts").asInt()).as("the first and one per pause of the schedule").isEqualTo(4);
            assertThat(failed.get("last_status_code").asInt()).isEqualTo(503);
            assertThat(failed.get("last_error").asString()).isEqualTo("answered 503");
            assertThat(failed.get("last_response").asString()).isEqualTo("not yet");
            assertThat(receiver.requests).hasSize(4);
        }
    }

    @Test
    @Tag("security")
    void aSlowHugeOrRedirectingReceiverNeverHoldsUpAnotherAndIsNeverFollowed() throws Exception {
        try (WebhookReceiver slow = new WebhookReceiver(0, WebhookReceiver.Behaviour.SLOW);
             WebhookReceiver fast = new WebhookReceiver(0, WebhookReceiver.Behaviour.NORMAL);
             WebhookReceiver huge = new WebhookReceiver(0, WebhookReceiver.Behaviour.HUGE);
             WebhookReceiver redirecting = new WebhookReceiver(0, WebhookReceiver.Behaviour.REDIRECT)) {
            JsonNode slowEndpoint = register(slow, "\"webhook.test\"");
            JsonNode fastEndpoint = register(fast, "\"webhook.test\"");
            String slowId = sendTest(slowEndpoint);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !slow.requests.isEmpty());
            String fastId = sendTest(fastEndpoint);
            awaitStatus(fastEndpoint, fastId, "delivered");
            assertThat(delivery(slowEndpoint, slowId).get("status").asString()).as("the slow one is still on its first attempt").isEqualTo("sending");
            JsonNode timedOut = Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> delivery(slowEndpoint, slowId), d -> !d.get("last_error").isNull());
            assertThat(timedOut.get("last_error").asString()).isEqualTo("no answer within 2000 ms");

            JsonNode hugeEndpoint = register(huge, "\"webhook.test\"");
            JsonNode delivered = awaitStatus(hugeEndpoint, sendTest(hugeEndpoint), "delivered");
            assertThat(delivered.get("last_response").asString()).hasSize(2048);

            JsonNode redirectEndpoint = register(redirecting, "\"webhook.test\"");
            String redirectId = sendTest(redirectEndpoint);
            JsonNode redirected = Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> delivery(redirectEndpoint, redirectId), d -> !d.get("last_error").isNull());
            assertThat(redirected.get("last_status_code").asInt()).isEqualTo(302);
            assertThat(redirected.get("last_error").asString()).isEqualTo("redirect not followed");
            assertThat(redirecting.redirectTargetHits).hasValue(0);
            for (JsonNode endpoint : new JsonNode[]{slowEndpoint, redirectEndpoint}) {
                assertThat(api.send("DELETE", "/api/v1/admin/webhooks/" + endpoint.get("id").asString(), admin, null).statusCode()).isEqualTo(204);
            }
        }
    }

    @Test
    void deliveriesLeftByAProcessThatDiedAreSentByTheNextAndAPausedEndpointWaits() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(0, WebhookReceiver.Behaviour.NORMAL)) {
            JsonNode endpoint = register(receiver, "\"hold.expired\"");
            String endpointId = endpoint.get("id").asString();
            assertThat(api.post("/api/v1/admin/webhooks/" + endpointId + "/pause", admin, null).body()).contains("\"enabled\":false");
            try (Connection connection = api.dataSource().getConnection();
                 PreparedStatement insert = connection.prepareStatement("""
                         INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, payload, status, attempts, claimed_until)
                         VALUES (?, ?, 'hold.expired', ?, ?, ?, ?)""")) {
                // one queued before its process died, one claimed by a process killed mid-attempt (its lease has run out)
                Object[][] rows = {{"msg_queued", "pending", 0, null}, {"msg_claimed", "sending", 1, java.sql.Timestamp.from(java.time.Instant.now().minusSeconds(1))}};
                for (Object[] row : rows) {
                    insert.setObject(1, UUID.fromString(endpointId));
                    insert.setString(2, (String) row[0]);
                    insert.setString(3, "{\"type\":\"hold.expired\",\"timestamp\":\"2026-12-04T00:00:00Z\",\"data\":{}}");
                    insert.setString(4, (String) row[1]);
                    insert.setInt(5, (Integer) row[2]);
                    insert.setTimestamp(6, (java.sql.Timestamp) row[3]);
                    insert.executeUpdate();
                }
            }
            Thread.sleep(500);
            assertThat(receiver.requests).as("paused").isEmpty();
            api.post("/api/v1/admin/webhooks/" + endpointId + "/resume", admin, null);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.handledOnce.size() == 2);
            assertThat(receiver.handledOnce).containsExactlyInAnyOrder("msg_queued", "msg_claimed");
            assertThat(receiver.requests).allMatch(WebhookReceiver.Received::verified);
        }
    }

    @Test
    void anExpiredHoldIsAnEventWithTheHoldItReleased() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(0, WebhookReceiver.Behaviour.NORMAL)) {
            register(receiver, "\"hold.expired\"");
            String user = "expiring-" + System.nanoTime() + "@example.com";
            api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":5}");
            JsonNode hold = JSON.readTree(api.post("/api/v1/credits/holds", api.tokens.service("expiry-proxy", Duration.ofMinutes(5)),
                    "{\"user_id\":\"" + user + "\",\"request_id\":\"never-settled\",\"estimated_cost\":1.25,\"ttl_seconds\":1}").body());
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> receiver.requests.stream()
                    .anyMatch(r -> r.body().contains(hold.get("hold_id").asString())));
            JsonNode event = JSON.readTree(receiver.requests.stream().filter(r -> r.body().contains(hold.get("hold_id").asString())).findFirst()
                    .orElseThrow().body());
            assertThat(event.get("type").asString()).isEqualTo("hold.expired");
            assertThat(event.get("data").get("user_id").asString()).isEqualTo(user);
            assertThat(event.get("data").get("request_id").asString()).isEqualTo("never-settled");
            assertThat(event.get("data").get("amount").decimalValue()).isEqualByComparingTo("1.25");
        }
    }

    @Test
    @Tag("security")
    void onlyAdminsManageWebhooksAndPrivateTargetsBadTypesAndIdsAreRefused() throws Exception {
        String body = "{\"url\":\"https://example.com/hook\",\"event_types\":[\"balance.low\"]}";
        assertProblem(api.post("/api/v1/admin/webhooks", api.userToken("webhook-user@example.com"), body), 403, "forbidden");
        assertProblem(api.post("/api/v1/admin/webhooks", api.tokens.service("webhook-proxy", Duration.ofMinutes(5)), body), 403, "forbidden");
        assertProblem(api.post("/api/v1/admin/webhooks", null, body), 401, "unauthenticated");
        for (String url : Set.of("http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/hook", "http://192.168.0.1/",
                "http://100.64.0.1/", "http://0.0.0.0:8084/", "ftp://example.com/hook", "http://user:pw@127.0.0.1/hook",
                "http://host.invalid/hook", "not a url", "javascript:alert(1)")) {
            HttpResponse<String> refused = api.post("/api/v1/admin/webhooks", admin, "{\"url\":" + JSON.writeValueAsString(url) + ",\"event_types\":[\"balance.low\"]}");
            assertProblem(refused, 400, "validation");
            assertThat(refused.body()).as(url).contains("\"field\":\"url\"");
        }
        assertProblem(api.post("/api/v1/admin/webhooks", admin, "{\"url\":\"http://127.0.0.1:9/hook\",\"event_types\":[\"balance.lowish\"]}"), 400, "validation");
        assertProblem(api.post("/api/v1/admin/webhooks", admin, "{\"url\":\"http://127.0.0.1:9/hook\",\"event_types\":[]}"), 400, "validation");
        assertProblem(api.post("/api/v1/admin/webhooks", admin, "{\"url\":\"http://127.0.0.1:9/hook\"}"), 400, "validation");
        assertProblem(api.post("/api/v1/admin/webhooks", admin, "{\"url\":\"http://127.0.0.1:9/" + "x".repeat(2100) + "\",\"event_types\":[\"balance.low\"]}"), 400, "validation");
        assertProblem(api.post("/api/v1/admin/webhooks", admin, "{\"url\":"), 400, "malformed-body");
        assertProblem(api.get("/api/v1/admin/webhooks/not-a-uuid", admin), 400, "validation");
        String unknown = UUID.randomUUID().toString();
        assertProblem(api.get("/api/v1/admin/webhooks/" + unknown, admin), 404, "not-found");
        assertProblem(api.get("/api/v1/admin/webhooks/" + unknown + "/deliveries", admin), 404, "not-found");
        assertProblem(api.post("/api/v1/admin/webhooks/" + unknown + "/deliveries/1/redeliver", admin, null), 404, "not-found");
        assertProblem(api.post("/api/v1/admin/webhooks/" + unknown + "/deliveries/-1/redeliver", admin, null), 400, "validation");
        assertProblem(api.send("DELETE", "/api/v1/admin/webhooks/" + unknown, admin, null), 404, "not-found");
    }
}
