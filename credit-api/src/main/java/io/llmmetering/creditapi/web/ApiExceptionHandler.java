package io.llmmetering.creditapi.web;

import io.llmmetering.core.money.InvalidAmountException;
import io.llmmetering.core.pricing.PricingException;
import io.llmmetering.core.pricing.UnknownModelException;
import io.llmmetering.core.problems.ProblemType;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.controlplane.ControlPlanePublisher;
import io.llmmetering.creditapi.exports.CsvExports;
import io.llmmetering.creditapi.jdbc.SqlFailures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.Map;

/**
 * Every error as problem+json with a stable type. Spring MVC's own errors (unreadable JSON, wrong method,
 * unsupported media type, missing parameter) keep their status and get a type named after it.
 */
@RestControllerAdvice
final class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<ProblemDetail> apiProblem(ApiProblem problem) {
        return problem(problem.type(), problem.getMessage(), problem.properties());
    }

    @ExceptionHandler(LedgerRefusal.class)
    ResponseEntity<ProblemDetail> refused(LedgerRefusal refusal) {
        String reason = refusal.reason().name().toLowerCase(java.util.Locale.ROOT);
        return problem(ProblemType.valueOf(refusal.reason().name()), refusal.getMessage(), Map.of("reason", reason));
    }

    @ExceptionHandler(PricingException.class)
    ResponseEntity<ProblemDetail> unpriceable(PricingException e) {
        return problem(ProblemType.ofReason(e.reason()), e.getMessage(),
                e instanceof UnknownModelException ? Map.of("reason", e.reason(), "hint", "GET /api/v1/credits/pricing lists the models")
                        : Map.of("reason", e.reason()));
    }

    @ExceptionHandler(CsvExports.ExportsBusyException.class)
    ResponseEntity<ProblemDetail> exportsBusy(CsvExports.ExportsBusyException e) {
        ResponseEntity<ProblemDetail> answer = problem(ProblemType.EXPORTS_BUSY, e.getMessage(), Map.of());
        return ResponseEntity.status(answer.getStatusCode()).header(HttpHeaders.RETRY_AFTER, "30")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(answer.getBody());
    }

    @ExceptionHandler(ControlPlanePublisher.PublishFailedException.class)
    ResponseEntity<ProblemDetail> notPublished(ControlPlanePublisher.PublishFailedException e) {
        log.warn("control-plane publish failed error={}", e.getMessage());
        ResponseEntity<ProblemDetail> answer = problem(ProblemType.KAFKA_UNAVAILABLE,
                "the change is saved but has not reached pricing yet; repeat the request to publish it", Map.of());
        return ResponseEntity.status(answer.getStatusCode()).header(HttpHeaders.RETRY_AFTER, "5")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(answer.getBody());
    }

    /** An amount, or a balance an operation would leave, that a ledger amount cannot hold. */
    @ExceptionHandler({InvalidAmountException.class, ArithmeticException.class})
    ResponseEntity<ProblemDetail> outOfRange(RuntimeException e) {
        log.info("amount refused error={}", e.getMessage());
        return problem(ProblemType.VALIDATION,
                "amount out of range: " + e.getMessage() + " (balances and amounts hold at most 9,223,372,036 credits)",
                Map.of("field", "amount"));
    }

    /**
     * By SQLSTATE class: the database unreachable or shedding load is a 503 to retry; a duplicate is a 409; other
     * data the ledger refuses is a 400; a serialization failure or deadlock is a 503 too (the same request succeeds when repeated); the
     * rest is a fault of ours, logged as one.
     */
    /** Tomcat's refusal of a query string it cannot split into parameters (a chunk with no name: {@code ?=x}). */
    @ExceptionHandler(org.apache.tomcat.util.http.InvalidParameterException.class)
    ResponseEntity<ProblemDetail> malformedQuery(RuntimeException e) {
        return problem(ProblemType.VALIDATION, "the query string is malformed: every parameter needs a name", Map.of());
    }

    @ExceptionHandler(SQLException.class)
    ResponseEntity<ProblemDetail> database(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (SqlFailures.isUniqueViolation(e)) {
            log.info("database refused a duplicate sqlstate={} error={}", state, e.getMessage());
            return problem(ProblemType.CONFLICT, "this conflicts with something the ledger already holds", Map.of());
        }
        if (state.startsWith("22") || state.startsWith("23")) {
            log.info("database refused a value sqlstate={} error={}", state, e.getMessage());
            return problem(ProblemType.VALIDATION, "a value is out of the range the ledger accepts", Map.of());
        }
        if (state.isEmpty() || state.startsWith("08") || state.startsWith("53") || state.startsWith("57")
                || state.equals("40001") || state.equals("40P01") || e instanceof SQLTransientException) {
            log.warn("database unavailable sqlstate={} error={}", state, e.getMessage());
            ResponseEntity<ProblemDetail> answer = problem(ProblemType.DATABASE_UNAVAILABLE,
                    "the ledger database is unavailable; retry later", Map.of());
            return ResponseEntity.status(answer.getStatusCode()).header(HttpHeaders.RETRY_AFTER, "1")
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(answer.getBody());
        }
        log.error("database error sqlstate={} error={}", state, e.getMessage(), e);
        return problem(ProblemType.INTERNAL, "unexpected error; it has been logged", Map.of());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("unexpected error error={}", e.toString(), e);
        return problem(ProblemType.INTERNAL, "unexpected error; it has been logged", Map.of());
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        Throwable cause = e;
        while (cause != null) {
            if (cause instanceof BodyTooLargeException) {
                return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                        .body(problemBody(ProblemType.TOO_LARGE, cause.getMessage(), Map.of()));
            }
            cause = cause.getCause();
        }
        return ResponseEntity.badRequest().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problemBody(ProblemType.MALFORMED_BODY,
                        "the body is not the JSON this endpoint expects (numbers must be JSON numbers, not NaN or Infinity)", Map.of()));
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception e, Object body, HttpHeaders headers, HttpStatusCode status,
                                                             WebRequest request) {
        if (body == null && e instanceof ErrorResponse response) {
            body = response.getBody();
        }
        if (body instanceof ProblemDetail problem) {
            HttpStatus known = HttpStatus.resolve(status.value());
            String type = known == null ? "error" : known.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            problem.setType(ProblemType.uri(type));
        }
        return super.handleExceptionInternal(e, body, headers, status, request);
    }

    static ResponseEntity<ProblemDetail> problem(ProblemType type, String detail, Map<String, Object> properties) {
        return ResponseEntity.status(type.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problemBody(type, detail, properties));
    }

    private static ProblemDetail problemBody(ProblemType type, String detail, Map<String, Object> properties) {
        HttpStatus status = HttpStatus.valueOf(type.status());
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(type.uri());
        problem.setTitle(status.getReasonPhrase());
        properties.forEach(problem::setProperty);
        return problem;
    }
}
