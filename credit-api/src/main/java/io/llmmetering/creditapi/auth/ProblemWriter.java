package io.llmmetering.creditapi.auth;

import io.llmmetering.core.problems.ProblemType;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.firewall.RequestRejectedHandler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * 401 and 403 as problem+json, written before the request reaches Spring MVC. The texts are fixed: what was
 * wrong with a token is never echoed back (it would help forging one) and never logged with the token.
 */
final class ProblemWriter {

    private ProblemWriter() {
    }

    static AuthenticationEntryPoint unauthenticated() {
        return (request, response, failure) -> {
            response.setHeader("WWW-Authenticate", "Bearer");
            write(response, ProblemType.UNAUTHENTICATED,
                    "a valid bearer token (Authorization header or session_token cookie) is required");
        };
    }

    static AccessDeniedHandler forbidden() {
        return (request, response, denied) -> write(response, ProblemType.FORBIDDEN,
                "your token does not grant access to this resource");
    }

    /** The firewall's refusal of a URL with encoded slashes, semicolons, path traversal or control characters. */
    static RequestRejectedHandler rejected() {
        return (request, response, rejected) -> write(response, ProblemType.VALIDATION,
                "the request URL contains characters or sequences that are not allowed");
    }

    static void write(HttpServletResponse response, ProblemType type, String detail) throws IOException {
        response.setStatus(type.status());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        String body = type.json(HttpStatus.valueOf(type.status()).getReasonPhrase(), detail);
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
