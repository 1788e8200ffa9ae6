package io.llmmetering.creditapi.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.llmmetering.creditapi.webhooks.WebhookEndpoints;
import io.llmmetering.creditapi.webhooks.WebhookEventTypes;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Webhook endpoints and their delivery log (role admin, as the whole /api/v1/admin tree). */
@RestController
@Tag(name = "Webhooks")
final class WebhookAdminController {

    private static final Set<String> DELIVERY_STATUSES = Set.of("pending", "sending", "delivered", "failed");

    private final WebhookEndpoints endpoints;

    WebhookAdminController(WebhookEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    record EndpointRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String url, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<String> eventTypes, String description) {
    }

    record Endpoint(String id, String url, List<String> eventTypes, String description, boolean enabled, String createdAt,
                    @JsonInclude(JsonInclude.Include.NON_NULL) String secret) {

        static Endpoint of(WebhookEndpoints.Endpoint endpoint, String secret) {
            return new Endpoint(endpoint.id().toString(), endpoint.url(), endpoint.eventTypes(), endpoint.description(), endpoint.enabled(),
                    endpoint.createdAt().toString(), secret);
        }
    }

    record Endpoints(List<Endpoint> endpoints) {
    }

    record Delivery(String id, String messageId, String eventType, String status, int attempts, String nextAttemptAt, String lastAttemptAt,
                    Integer lastStatusCode, String lastError, String lastResponse, String createdAt, String deliveredAt) {

        static Delivery of(WebhookEndpoints.Delivery d) {
            return new Delivery(Long.toString(d.id()), d.messageId(), d.eventType(), d.status(), d.attempts(), text(d.nextAttemptAt()),
                    text(d.lastAttemptAt()), d.lastStatusCode(), d.lastError(), d.lastResponse(), text(d.createdAt()), text(d.deliveredAt()));
        }

        private static String text(Instant instant) {
            return instant == null ? null : instant.toString();
        }
    }

    record Deliveries(List<Delivery> deliveries, String nextCursor) {
    }

    record TestSent(String deliveryId) {
    }

    /** Registers an endpoint; the answer carries its signing secret, which is never shown again. */
    @Operation(operationId = "registerWebhook", summary = "register a webhook endpoint (URL, event types); its signing secret is in this answer only")
    @PostMapping(path = "/api/v1/admin/webhooks", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    ResponseEntity<Endpoint> register(@AuthenticationPrincipal Jwt admin, @RequestBody EndpointRequest request) throws SQLException {
        String url = Inputs.requiredText("url", request.url(), 2000);
        if (request.eventTypes() == null || request.eventTypes().isEmpty() || request.eventTypes().size() > 20) {
            throw ApiProblem.validation("event_types", "event_types must list 1-20 of " + WebhookEventTypes.ALL);
        }
        for (String type : request.eventTypes()) {
            if (!WebhookEventTypes.ALL.contains(type)) {
                throw ApiProblem.validation("event_types", "unknown event type '" + type + "'; known: " + WebhookEventTypes.ALL);
            }
        }
        Optional<String> description = Inputs.optionalText("description", request.description(), 500);
        try {
            WebhookEndpoints.Registered registered = endpoints.register(url, List.copyOf(new LinkedHashSet<>(request.eventTypes())),
                    description.orElse(null), admin.getSubject());
            return ResponseEntity.status(HttpStatus.CREATED).body(Endpoint.of(registered.endpoint(), registered.secret()));
        } catch (WebhookEndpoints.RefusedTarget refused) {
            throw ApiProblem.validation("url", refused.getMessage());
        }
    }

    @Operation(operationId = "listWebhooks", summary = "the endpoints (no secrets)")
    @GetMapping("/api/v1/admin/webhooks")
    Endpoints list() throws SQLException {
        return new Endpoints(endpoints.list().stream().map(endpoint -> Endpoint.of(endpoint, null)).toList());
    }

    @Operation(operationId = "getWebhook", summary = "one endpoint")
    @GetMapping("/api/v1/admin/webhooks/{id}")
    Endpoint get(@PathVariable String id) throws SQLException {
        return Endpoint.of(endpoints.find(endpointId(id)).orElseThrow(() -> noEndpoint(id)), null);
    }

    /** A paused endpoint keeps its deliveries; none is sent until it is resumed. */
    @Operation(operationId = "pauseWebhook", summary = "stop sending to it; deliveries wait")
    @PostMapping("/api/v1/admin/webhooks/{id}/pause")
    Endpoint pause(@PathVariable String id) throws SQLException {
        return Endpoint.of(endpoints.setEnabled(endpointId(id), false).orElseThrow(() -> noEndpoint(id)), null);
    }

    @Operation(operationId = "resumeWebhook", summary = "send again, waiting deliveries first")
    @PostMapping("/api/v1/admin/webhooks/{id}/resume")
    Endpoint resume(@PathVariable String id) throws SQLException {
        return Endpoint.of(endpoints.setEnabled(endpointId(id), true).orElseThrow(() -> noEndpoint(id)), null);
    }

    @Operation(operationId = "deleteWebhook", summary = "remove an endpoint and its delivery log")
    @DeleteMapping("/api/v1/admin/webhooks/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    ResponseEntity<Void> delete(@PathVariable String id) throws SQLException {
        if (!endpoints.delete(endpointId(id))) {
            throw noEndpoint(id);
        }
        return ResponseEntity.noContent().build();
    }

    @Operation(operationId = "listWebhookDeliveries", summary = "the delivery log, newest first (status, limit ≤ 500, cursor)")
    @GetMapping("/api/v1/admin/webhooks/{id}/deliveries")
    Deliveries deliveries(@PathVariable String id, @RequestParam(required = false) String status, @RequestParam(required = false) Integer limit,
                          @RequestParam(required = false) String cursor) throws SQLException {
        UUID endpoint = endpointId(id);
        endpoints.find(endpoint).orElseThrow(() -> noEndpoint(id));
        if (status != null && !DELIVERY_STATUSES.contains(status)) {
            throw ApiProblem.validation("status", "status must be one of " + DELIVERY_STATUSES.stream().sorted().toList());
        }
        int size = limit == null ? 50 : limit;
        if (size < 1 || size > 500) {
            throw ApiProblem.validation("limit", "limit must be between 1 and 500");
        }
        List<WebhookEndpoints.Delivery> page = endpoints.deliveries(endpoint, Optional.ofNullable(status),
                cursor == null ? Long.MAX_VALUE : deliveryId("cursor", cursor), size);
        return new Deliveries(page.stream().map(Delivery::of).toList(),
                page.size() == size ? Long.toString(page.get(page.size() - 1).id()) : null);
    }

    @Operation(operationId = "getWebhookDelivery", summary = "one delivery: status, attempts, last answer")
    @GetMapping("/api/v1/admin/webhooks/{id}/deliveries/{deliveryId}")
    Delivery delivery(@PathVariable String id, @PathVariable String deliveryId) throws SQLException {
        return Delivery.of(endpoints.delivery(endpointId(id), deliveryId("delivery_id", deliveryId))
                .orElseThrow(() -> ApiProblem.notFound("no delivery " + deliveryId + " of webhook " + id)));
    }

    /** Sends a delivery again now, with a fresh retry schedule and its original {@code webhook-id}. */
    @Operation(operationId = "redeliverWebhook", summary = "send a delivery again now, same webhook-id")
    @PostMapping("/api/v1/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver")
    Delivery redeliver(@PathVariable String id, @PathVariable String deliveryId) throws SQLException {
        UUID endpoint = endpointId(id);
        long delivery = deliveryId("delivery_id", deliveryId);
        Optional<WebhookEndpoints.Delivery> redelivered = endpoints.redeliver(endpoint, delivery);
        if (redelivered.isPresent()) {
            return Delivery.of(redelivered.get());
        }
        throw endpoints.delivery(endpoint, delivery).isPresent()
                ? new ApiProblem(io.llmmetering.core.problems.ProblemType.CONFLICT, "delivery " + deliveryId + " is being sent right now")
                : ApiProblem.notFound("no delivery " + deliveryId + " of webhook " + id);
    }

    /** Queues a {@code webhook.test} event for this endpoint alone. */
    @Operation(operationId = "sendTestWebhook", summary = "queue a webhook.test event for this endpoint")
    @PostMapping("/api/v1/admin/webhooks/{id}/test")
    @ResponseStatus(HttpStatus.ACCEPTED)
    ResponseEntity<TestSent> test(@PathVariable String id) throws SQLException {
        UUID endpoint = endpointId(id);
        endpoints.find(endpoint).orElseThrow(() -> noEndpoint(id));
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(new TestSent(Long.toString(endpoints.sendTest(endpoint, Instant.now()))));
    }

    private static UUID endpointId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("id", "id must be a webhook id (a UUID)");
        }
    }

    private static long deliveryId(String field, String id) {
        try {
            long value = Long.parseLong(id);
            if (value < 1) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw ApiProblem.validation(field, field + " must be a delivery id (a positive number)");
        }
    }

    private static ApiProblem noEndpoint(String id) {
        return ApiProblem.notFound("no webhook endpoint " + id);
    }
}
