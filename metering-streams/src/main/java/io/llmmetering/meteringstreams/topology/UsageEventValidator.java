package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.pricing.InvalidUsageException;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.schemas.UsageEvent;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Checks what the schema cannot: required text present, sizes bounded, no control characters, sane tokens and time. */
final class UsageEventValidator {

    static final int MAX_ID_LENGTH = 255;
    static final int MAX_NAME_LENGTH = 200;
    static final int MAX_METADATA_ENTRIES = 64;
    static final int MAX_METADATA_TEXT = 1024;

    private final Duration maxClockSkew;

    UsageEventValidator(Duration maxClockSkew) {
        this.maxClockSkew = maxClockSkew;
    }

    Optional<Rejection> validate(UsageEvent event, long nowMillis) {
        return firstOf(
                text("event_id", event.getEventId(), MAX_ID_LENGTH),
                text("user_id", event.getUserId(), MAX_ID_LENGTH),
                text("model", event.getModel(), MAX_NAME_LENGTH),
                text("provider", event.getProvider(), MAX_NAME_LENGTH),
                tokens(event),
                time(event, nowMillis),
                metadata(event.getMetadata()));
    }

    @SafeVarargs
    private static Optional<Rejection> firstOf(Optional<Rejection>... checks) {
        for (Optional<Rejection> check : checks) {
            if (check.isPresent()) {
                return check;
            }
        }
        return Optional.empty();
    }

    private static Optional<Rejection> text(String field, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            return Optional.of(new Rejection("missing_field", field + " is missing or blank"));
        }
        if (value.length() > maxLength) {
            return Optional.of(new Rejection("field_too_long", field + " is longer than " + maxLength + " characters"));
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                return Optional.of(new Rejection("invalid_characters", field + " contains control characters"));
            }
        }
        return Optional.empty();
    }

    private static Optional<Rejection> tokens(UsageEvent event) {
        try {
            new TokenUsage(event.getInputTokens(), event.getOutputTokens(), event.getCachedInputTokens());
            return Optional.empty();
        } catch (InvalidUsageException e) {
            return Optional.of(new Rejection(e.reason(), e.getMessage()));
        }
    }

    private Optional<Rejection> time(UsageEvent event, long nowMillis) {
        long occurredAt = event.getOccurredAt().toEpochMilli();
        if (occurredAt > nowMillis + maxClockSkew.toMillis()) {
            return Optional.of(new Rejection("occurred_in_future",
                    "occurred_at " + event.getOccurredAt() + " is more than " + maxClockSkew + " ahead of the clock"));
        }
        if (occurredAt <= 0) {
            return Optional.of(new Rejection("invalid_time", "occurred_at " + event.getOccurredAt() + " is not a real time"));
        }
        return Optional.empty();
    }

    private static Optional<Rejection> metadata(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            return Optional.of(new Rejection("metadata_too_large", "metadata has more than " + MAX_METADATA_ENTRIES + " entries"));
        }
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            if (entry.getKey().length() > MAX_METADATA_TEXT || entry.getValue().length() > MAX_METADATA_TEXT) {
                return Optional.of(new Rejection("metadata_too_large", "a metadata key or value is longer than " + MAX_METADATA_TEXT));
            }
        }
        return Optional.empty();
    }
}
