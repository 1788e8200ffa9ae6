package io.llmmetering.creditapi.web;

import io.llmmetering.core.problems.ProblemType;
import org.springframework.http.HttpStatus;

import java.util.Map;

/**
 * An error answered as RFC 9457 problem+json, of a type from the one catalogue ({@link ProblemType}): clients
 * branch on the type, never on the wording of the detail.
 */
final class ApiProblem extends RuntimeException {

    private final ProblemType type;
    private final Map<String, Object> properties;

    public ApiProblem(ProblemType type, String detail) {
        this(type, detail, Map.of());
    }

    public ApiProblem(ProblemType type, String detail, Map<String, Object> properties) {
        super(detail, null, false, false);
        this.type = type;
        this.properties = Map.copyOf(properties);
    }

    public static ApiProblem validation(String field, String detail) {
        return new ApiProblem(ProblemType.VALIDATION, detail, Map.of("field", field));
    }

    public static ApiProblem notFound(String detail) {
        return new ApiProblem(ProblemType.NOT_FOUND, detail);
    }

    public HttpStatus status() {
        return HttpStatus.valueOf(type.status());
    }

    public ProblemType type() {
        return type;
    }

    public Map<String, Object> properties() {
        return properties;
    }
}
