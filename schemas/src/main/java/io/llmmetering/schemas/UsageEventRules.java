package io.llmmetering.schemas;

import io.llmmetering.core.pricing.InvalidUsageException;
import io.llmmetering.core.pricing.TokenUsage;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The one set of rules a usage event must meet beyond its schema, with the one set of reason codes: usage-ingest
 * reports them per event in its 400 answer, the topology as the {@code dlq.reason} of events other producers
 * wrote straight to Kafka. Every text field (ids, names, source, power level, ingest key id, metadata keys and
 * values) is bounded and free of control characters, because each reaches a PostgreSQL row (which refuses NUL)
 * or a log line; a value over its bound is refused, never cut. Token counts as {@link TokenUsage} allows them; a
 * time neither before 2020 nor further ahead than the allowed clock skew.
 */
public final class UsageEventRules {

    public static final int MAX_ID_LENGTH = 255;
    public static final int MAX_NAME_LENGTH = 200;
    public static final int MAX_METADATA_ENTRIES = 64;
    public static final int MAX_METADATA_TEXT = 1024;
    public static final Instant EARLIEST = Instant.parse("2020-01-01T00:00:00Z");
    /**
     * How far ahead of the clock an event's time may be, as usage-ingest and the topology both check it: one
     * setting for both, {@code metering.events.max-clock-skew} (ISO-8601 or {@code 5m}), so they cannot disagree.
     */
    public static final String DEFAULT_MAX_CLOCK_SKEW = "PT5M";

    public static final String MISSING_FIELD = "missing_field";
    public static final String FIELD_TOO_LONG = "field_too_long";
    public static final String INVALID_CHARACTERS = "invalid_characters";
    public static final String OCCURRED_IN_FUTURE = "occurred_in_future";
    public static final String INVALID_TIME = "invalid_time";
    public static final String METADATA_TOO_LARGE = "metadata_too_large";

    private UsageEventRules() {
    }

    /** Why an event breaks a rule: a stable {@code reason} code and a detail for people. */
    public record Violation(String reason, String detail) {
    }

    /** Every rule, first broken first. */
    public static Optional<Violation> check(UsageEvent event, Instant now, Duration maxClockSkew) {
        return firstOf(
                requiredText(event),
                optionalText("source", event.getSource(), MAX_NAME_LENGTH),
                optionalText("power_level", event.getPowerLevel(), MAX_NAME_LENGTH),
                optionalText("ingest_key_id", event.getIngestKeyId(), MAX_ID_LENGTH),
                tokens(event.getInputTokens(), event.getOutputTokens(), event.getCachedInputTokens()),
                time(event.getOccurredAt(), now, maxClockSkew),
                metadata(event.getMetadata()));
    }

    public static Optional<Violation> requiredText(UsageEvent event) {
        return requiredText(event.getEventId(), event.getUserId(), event.getModel(), event.getProvider());
    }

    public static Optional<Violation> requiredText(String eventId, String userId, String model, String provider) {
        return firstOf(text("event_id", eventId, MAX_ID_LENGTH), text("user_id", userId, MAX_ID_LENGTH),
                text("model", model, MAX_NAME_LENGTH), text("provider", provider, MAX_NAME_LENGTH));
    }

    public static Optional<Violation> tokens(long input, long output, long cachedInput) {
        try {
            new TokenUsage(input, output, cachedInput);
            return Optional.empty();
        } catch (InvalidUsageException e) {
            return Optional.of(new Violation(e.reason(), e.getMessage()));
        }
    }

    public static Optional<Violation> time(Instant occurredAt, Instant now, Duration maxClockSkew) {
        if (occurredAt.isAfter(now.plus(maxClockSkew))) {
            return Optional.of(new Violation(OCCURRED_IN_FUTURE, "occurred_at " + occurredAt + " is more than " + maxClockSkew
                    + " ahead of the clock"));
        }
        if (occurredAt.isBefore(EARLIEST)) {
            return Optional.of(new Violation(INVALID_TIME, "occurred_at " + occurredAt + " is before " + EARLIEST));
        }
        return Optional.empty();
    }

    public static Optional<Violation> metadata(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            return Optional.of(new Violation(METADATA_TOO_LARGE, "metadata has more than " + MAX_METADATA_ENTRIES + " entries"));
        }
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            if (entry.getKey().length() > MAX_METADATA_TEXT || entry.getValue().length() > MAX_METADATA_TEXT) {
                return Optional.of(new Violation(METADATA_TOO_LARGE, "a metadata key or value is longer than " + MAX_METADATA_TEXT));
            }
            if (hasControlCharacters(entry.getKey()) || hasControlCharacters(entry.getValue())) {
                return Optional.of(new Violation(INVALID_CHARACTERS, "a metadata key or value contains control characters"));
            }
        }
        return Optional.empty();
    }

    /** A text field that may be absent; when present it meets the same bounds as the required ones. */
    public static Optional<Violation> optionalText(String field, String value, int maxLength) {
        return value == null || value.isBlank() ? Optional.empty() : text(field, value, maxLength);
    }

    private static Optional<Violation> text(String field, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            return Optional.of(new Violation(MISSING_FIELD, field + " is missing or blank"));
        }
        if (value.length() > maxLength) {
            return Optional.of(new Violation(FIELD_TOO_LONG, field + " is longer than " + maxLength + " characters"));
        }
        if (hasControlCharacters(value)) {
            return Optional.of(new Violation(INVALID_CHARACTERS, field + " contains control characters"));
        }
        return Optional.empty();
    }

    private static boolean hasControlCharacters(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    @SafeVarargs
    private static Optional<Violation> firstOf(Optional<Violation>... checks) {
        for (Optional<Violation> check : checks) {
            if (check.isPresent()) {
                return check;
            }
        }
        return Optional.empty();
    }
}
