package io.llmmetering.creditapi.auth;

import java.util.List;

/**
 * Who may call which API paths: the rules {@code ApiSecurity} enforces and the OpenAPI document describes, written
 * once. Everything else under {@code /api/v1} is a user's own account (a user or admin token, or its cookie).
 */
public final class ApiAccess {

    private ApiAccess() {
    }

    /** Anyone; a token, when sent, still counts (calculate-cost quotes the caller's tier, status shows an admin more). */
    public static final List<String> PUBLIC_GETS = List.of("/api/v1/system/status", "/api/v1/credits/pricing");
    public static final List<String> PUBLIC_POSTS = List.of("/api/v1/credits/calculate-cost");

    /** The {@code admin} role. */
    public static final String ADMIN_PATHS = "/api/v1/admin/**";

    /** What a proxy calls for a user before and after an LLM call: a service token or the proxy's ingest key also may. */
    public static final List<String> PROXY_PATHS = List.of("/api/v1/credits/holds", "/api/v1/credits/holds/**", "/api/v1/credits/authorize");
}
