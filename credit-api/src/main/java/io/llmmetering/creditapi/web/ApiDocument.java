package io.llmmetering.creditapi.web;

import io.llmmetering.core.problems.ProblemType;
import io.llmmetering.creditapi.auth.ApiAccess;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.util.AntPathMatcher;

import java.util.List;
import java.util.Map;

/**
 * The OpenAPI document's cross-cutting parts, from the rules that enforce them: each operation's security (public,
 * a user's token or cookie, a proxy's token or ingest key, an admin's) from {@link ApiAccess}, and its errors as
 * problem+json answers, the common ones by what the operation takes and the particular ones by operation id.
 * Operation ids and summaries are on the controllers.
 */
public final class ApiDocument implements OpenApiCustomizer {

    public static final String BEARER = "bearer";
    public static final String COOKIE = "sessionCookie";
    public static final String INGEST_KEY = "ingestKey";
    private static final String PROBLEM = "Problem";
    private static final AntPathMatcher PATHS = new AntPathMatcher();

    /** Refusals particular to an operation, beyond what every operation of its kind may answer. */
    private static final Map<String, Map<String, String>> REFUSALS = Map.ofEntries(
            Map.entry("deduct", Map.of("402", "insufficient-credits, monthly-cap-reached or account-suspended: nothing was taken",
                    "409", "idempotency-key-reused: the key was used for another request")),
            Map.entry("placeHold", Map.of("402", "insufficient-credits, monthly-cap-reached or account-suspended: nothing was reserved",
                    "409", "conflict: the request id was used for another hold")),
            Map.entry("redeemCoupon", Map.of("409", "coupon-already-redeemed, coupon-exhausted or nothing-to-discount",
                    "410", "coupon-expired or coupon-inactive")),
            Map.entry("allocateCredits", Map.of("409", "idempotency-key-reused")),
            Map.entry("recordPurchase", Map.of("409", "external-reference-reused: the payment bought credits in another purchase")),
            Map.entry("refundPurchase", Map.of("409", "refund-exceeds-purchase, exceeds-available-balance (holds reserve it) or idempotency-key-reused")),
            Map.entry("adjustBalance", Map.of("409", "exceeds-available-balance (holds reserve it) or idempotency-key-reused")),
            Map.entry("createCoupon", Map.of("409", "conflict: a coupon with this code exists")),
            Map.entry("redeliverWebhook", Map.of("409", "conflict: the delivery is being sent right now")),
            Map.entry("exportMyTransactions", Map.of("503", "exports-busy (Retry-After) or database-unavailable")),
            Map.entry("exportTransactions", Map.of("503", "exports-busy (Retry-After) or database-unavailable")),
            Map.entry("exportUsage", Map.of("503", "exports-busy (Retry-After) or database-unavailable")));

    @Override
    public void customise(OpenAPI document) {
        Components components = document.getComponents() == null ? new Components() : document.getComponents();
        document.setComponents(components
                .addSecuritySchemes(BEARER, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT")
                        .description("a JWT whose sub is the user id and whose roles claim holds user, admin and/or service"))
                .addSecuritySchemes(COOKIE, new SecurityScheme().type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.COOKIE).name("session_token")
                        .description("the same JWT in the session_token cookie; a POST, PUT, PATCH or DELETE must also send X-Requested-With"))
                .addSecuritySchemes(INGEST_KEY, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("mk_...")
                        .description("a proxy's ingest key (Authorization: Bearer mk_...): holds and authorize only"))
                .addSchemas(PROBLEM, problemSchema()));
        document.setSecurity(null);
        if (document.getPaths() == null) {
            return;
        }
        document.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> describe(path, method, operation)));
    }

    private static void describe(String path, PathItem.HttpMethod method, Operation operation) {
        boolean open = (method == PathItem.HttpMethod.GET && ApiAccess.PUBLIC_GETS.contains(path))
                || (method == PathItem.HttpMethod.POST && ApiAccess.PUBLIC_POSTS.contains(path));
        boolean proxy = ApiAccess.PROXY_PATHS.stream().anyMatch(pattern -> PATHS.match(pattern, path));
        if (open) {
            operation.setSecurity(List.of(new SecurityRequirement(), new SecurityRequirement().addList(BEARER)));
        } else if (proxy) {
            operation.setSecurity(List.of(new SecurityRequirement().addList(BEARER), new SecurityRequirement().addList(COOKIE),
                    new SecurityRequirement().addList(INGEST_KEY)));
        } else {
            operation.setSecurity(List.of(new SecurityRequirement().addList(BEARER), new SecurityRequirement().addList(COOKIE)));
        }
        boolean takesInput = operation.getRequestBody() != null || (operation.getParameters() != null && !operation.getParameters().isEmpty());
        if (takesInput) {
            problem(operation, "400", "validation (the answer names the field), malformed-body or malformed-request");
        }
        if (!open) {
            problem(operation, "401", "unauthenticated: no token, or one that is expired, unsigned or not ours");
            problem(operation, "403", PATHS.match(ApiAccess.ADMIN_PATHS, path) ? "forbidden: the admin role is needed"
                    : "forbidden: the token lacks the role, or csrf: a cookie-authenticated change without X-Requested-With");
        }
        if (path.contains("{")) {
            problem(operation, "404", "not-found: nothing has this id");
        }
        if (operation.getRequestBody() != null) {
            problem(operation, "413", "too-large: the body is over 64 KiB");
        }
        REFUSALS.getOrDefault(operation.getOperationId(), Map.of()).forEach((status, description) -> problem(operation, status, description));
        problem(operation, "500", "internal: a fault of the service, logged with the request");
        problem(operation, "503", "database-unavailable or kafka-unavailable: try again");
    }

    private static void problem(Operation operation, String status, String description) {
        if (operation.getResponses().containsKey(status)) {
            return;
        }
        operation.getResponses().addApiResponse(status, new ApiResponse().description(description).content(new Content()
                .addMediaType(ProblemType.MEDIA_TYPE, new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM)))));
    }

    private static Schema<?> problemSchema() {
        ObjectSchema problem = new ObjectSchema();
        problem.setDescription("RFC 9457 problem details; type is " + ProblemType.BASE + "<code>; refusals add fields (field, reason, ...)");
        problem.addProperty("type", new StringSchema().format("uri"));
        problem.addProperty("title", new StringSchema());
        problem.addProperty("status", new IntegerSchema());
        problem.addProperty("detail", new StringSchema());
        problem.addProperty("instance", new StringSchema());
        problem.setRequired(List.of("type", "title", "status"));
        problem.setAdditionalProperties(true);
        return problem;
    }
}
