package io.llmmetering.usageingest.web;

import io.llmmetering.core.keys.IngestKey;
import io.llmmetering.core.keys.IngestKeyAuthenticator;
import io.llmmetering.core.problems.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Optional;

/** Every ingestion endpoint needs a valid ingest key as a bearer token; anything else is a 401 problem. */
final class IngestKeyFilter extends OncePerRequestFilter {

    static final String INGEST_KEY_ATTRIBUTE = IngestKey.class.getName();
    private final IngestKeyAuthenticator authenticator;

    IngestKeyFilter(IngestKeyAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    /**
     * Only health ({@code /healthz}, and the actuators, which answer on the loopback management port) and the OpenAPI
     * document go without a key. The test reads the path the container routes by (decoded, with
     * {@code ;parameters} removed), not the raw URI: {@code /api;x/v1/usage/events} and {@code /%61pi/...} reach
     * the same controller as {@code /api/...}, so a prefix test on the raw text let them in without a key.
     */
    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return path.equals("/healthz") || path.equals("/actuator") || path.startsWith("/actuator/") || path.equals("/v3/api-docs")
                || path.startsWith("/v3/api-docs/") || path.equals("/v3/api-docs.yaml");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String authorization = request.getHeader("Authorization");
        String token = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).strip() : null;
        Optional<IngestKey> key;
        try {
            key = authenticator.authenticate(token);
        } catch (SQLException e) {
            write(response, ProblemType.DATABASE_UNAVAILABLE, "Service Unavailable", "cannot check the ingest key right now");
            return;
        }
        if (key.isEmpty()) {
            response.setHeader("WWW-Authenticate", "Bearer");
            write(response, ProblemType.UNAUTHENTICATED, "Unauthorized", token == null ? "an ingest API key is required: Authorization: Bearer <key>"
                    : "the ingest API key is not valid or has been revoked");
            return;
        }
        request.setAttribute(INGEST_KEY_ATTRIBUTE, key.get());
        chain.doFilter(request, response);
    }

    private static void write(HttpServletResponse response, ProblemType type, String title, String detail) throws IOException {
        response.setStatus(type.status());
        response.setContentType(ProblemType.MEDIA_TYPE);
        String body = type.json(title, detail);
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
