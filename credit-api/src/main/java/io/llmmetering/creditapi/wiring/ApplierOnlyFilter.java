package io.llmmetering.creditapi.wiring;

import io.llmmetering.core.problems.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * In the {@code applier} role the service port answers {@code /healthz} only: a load balancer that sends API traffic
 * here by mistake gets a clear 404, never an API served by a process that was sized and secured for the ledger.
 */
final class ApplierOnlyFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getRequestURI().equals("/healthz")) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(ProblemType.NOT_FOUND.status());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(ProblemType.NOT_FOUND.json("Not Found",
                "this credit-api process runs the debit appliers only (credit.role=applier)").getBytes(StandardCharsets.UTF_8));
    }
}
