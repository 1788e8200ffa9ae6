package io.llmmetering.usageingest.web;

import io.llmmetering.core.problems.ProblemType;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

import java.util.Map;

/** RFC 9457 problem details of a type from the one catalogue ({@link ProblemType}), shared with credit-api. */
final class ProblemResponses {

    private ProblemResponses() {
    }

    static ResponseEntity<ProblemDetail> problem(ProblemType type, String detail) {
        return problem(type, detail, Map.of());
    }

    static ResponseEntity<ProblemDetail> problem(ProblemType type, String detail, Map<String, Object> properties) {
        HttpStatus status = HttpStatus.valueOf(type.status());
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(type.uri());
        problem.setTitle(status.getReasonPhrase());
        properties.forEach(problem::setProperty);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}
