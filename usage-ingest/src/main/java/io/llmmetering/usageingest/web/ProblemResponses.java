package io.llmmetering.usageingest.web;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

import java.net.URI;
import java.util.Map;

/** RFC 9457 problem details with stable types under {@code https://llm-metering.dev/problems/}. */
final class ProblemResponses {

    static final String TYPE_BASE = "https://llm-metering.dev/problems/";

    private ProblemResponses() {
    }

    static ResponseEntity<ProblemDetail> problem(HttpStatus status, String type, String detail) {
        return problem(status, type, detail, Map.of());
    }

    static ResponseEntity<ProblemDetail> problem(HttpStatus status, String type, String detail, Map<String, Object> properties) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_BASE + type));
        problem.setTitle(status.getReasonPhrase());
        properties.forEach(problem::setProperty);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}
