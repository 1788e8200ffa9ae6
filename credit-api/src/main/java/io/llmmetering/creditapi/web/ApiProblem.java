package io.llmmetering.creditapi.web;

import org.springframework.http.HttpStatus;

import java.util.Map;

/**
 * An error answered as RFC 9457 problem+json with a stable {@code type} under
 * {@code https://llm-metering.dev/problems/}: clients branch on the type, never on the wording of the detail.
 */
public final class ApiProblem extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final Map<String, Object> properties;

    public ApiProblem(HttpStatus status, String type, String detail) {
        this(status, type, detail, Map.of());
    }

    public ApiProblem(HttpStatus status, String type, String detail, Map<String, Object> properties) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.properties = Map.copyOf(properties);
    }

    public static ApiProblem validation(String field, String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "validation", detail, Map.of("field", field));
    }

    public static ApiProblem notFound(String detail) {
        return new ApiProblem(HttpStatus.NOT_FOUND, "not-found", detail);
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public Map<String, Object> properties() {
        return properties;
    }
}
