package io.llmmetering.core.problems;

import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every problem type either service answers with (RFC 9457 {@code application/problem+json}): its stable code,
 * the {@code type} URI under {@link #BASE} that clients branch on, and its HTTP status. The one catalogue: both
 * services take their types from here, and docs/api-reference.md lists each (a test keeps them in step).
 * Codes are the enum names in lower case with '-' for '_', so a refusal reason ({@code unknown_model}) names its
 * type ({@link #ofReason}).
 */
public enum ProblemType {
    VALIDATION(400),
    MALFORMED_BODY(400),
    MALFORMED_REQUEST(400),
    INVALID_USAGE(400),
    UNKNOWN_MODEL(400),
    UNKNOWN_POWER_LEVEL(400),
    UNKNOWN_TIER(400),
    INVALID_EVENTS(400),
    NO_EVENTS(400),
    UNAUTHENTICATED(401),
    INSUFFICIENT_CREDITS(402),
    MONTHLY_CAP_REACHED(402),
    ACCOUNT_SUSPENDED(402),
    FORBIDDEN(403),
    CSRF(403),
    NOT_FOUND(404),
    ACCOUNT_NOT_FOUND(404),
    COUPON_NOT_FOUND(404),
    PURCHASE_NOT_FOUND(404),
    CONFLICT(409),
    IDEMPOTENCY_KEY_REUSED(409),
    COUPON_ALREADY_REDEEMED(409),
    COUPON_EXHAUSTED(409),
    NOTHING_TO_DISCOUNT(409),
    EXTERNAL_REFERENCE_REUSED(409),
    REFUND_EXCEEDS_PURCHASE(409),
    EXCEEDS_AVAILABLE_BALANCE(409),
    COUPON_EXPIRED(410),
    COUPON_INACTIVE(410),
    TOO_LARGE(413),
    BODY_TOO_LARGE(413),
    TOO_MANY_EVENTS(413),
    UNSUPPORTED_MEDIA_TYPE(415),
    INTERNAL(500),
    DATABASE_UNAVAILABLE(503),
    KAFKA_UNAVAILABLE(503),
    ENCRYPTION_KEY_MISSING(503),
    EXPORTS_BUSY(503);

    public static final String BASE = "https://llm-metering.dev/problems/";
    public static final String MEDIA_TYPE = "application/problem+json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final int status;
    private final String code;

    ProblemType(int status) {
        this.status = status;
        this.code = name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public URI uri() {
        return uri(code);
    }

    /** The type URI of a code the framework makes up (a 405 is {@code method-not-allowed}): same base as ours. */
    public static URI uri(String code) {
        return URI.create(BASE + code);
    }

    /** The type a refusal reason names: {@code unknown_model} is {@link #UNKNOWN_MODEL}. */
    public static ProblemType ofReason(String reason) {
        return valueOf(reason.toUpperCase(Locale.ROOT));
    }

    /** The body where no message converter runs (servlet filters, security handlers, the container's error page). */
    public String json(String title, String detail) {
        return json(status, title, code, detail);
    }

    public static String json(int status, String title, String code, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", BASE + code);
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        return JSON.writeValueAsString(body);
    }
}
