package io.llmmetering.creditapi.auth;

import io.llmmetering.core.problems.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Set;

/**
 * Cross-site request forgery, for the one credential a browser sends by itself: the {@code session_token} cookie.
 * A state-changing request authenticated by that cookie alone must carry {@value #HEADER}, which a cross-site
 * form cannot send and a cross-site script cannot add without a CORS preflight this API never grants. Requests
 * that carry their token as a bearer in the Authorization header (proxies, scripts, the usage page) are unaffected,
 * as are safe methods, so the seed's {@code GET} with the cookie keeps working. Any other Authorization header
 * (Basic, which a browser adds by itself for a site behind a basic-auth gate) leaves the cookie as the credential,
 * so it is guarded like a request without one.
 */
final class CookieCsrfGuard extends OncePerRequestFilter {

    static final String HEADER = "X-Requested-With";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (SAFE_METHODS.contains(request.getMethod()) || hasBearerHeader(request)
                || BearerTokens.sessionCookie(request) == null || request.getHeader(HEADER) != null) {
            chain.doFilter(request, response);
            return;
        }
        ProblemWriter.write(response, ProblemType.CSRF,
                "a state-changing request authenticated by the session_token cookie must carry the " + HEADER
                        + " header (or send the token in the Authorization header)");
    }

    /** The header names the bearer scheme: its token, not the cookie, authenticates (a malformed one is refused later). */
    private static boolean hasBearerHeader(HttpServletRequest request) {
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        return authorization != null && authorization.regionMatches(true, 0, "bearer", 0, 6);
    }
}
