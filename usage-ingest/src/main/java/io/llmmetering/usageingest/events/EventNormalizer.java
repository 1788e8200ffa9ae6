package io.llmmetering.usageingest.events;

import io.llmmetering.core.pricing.InvalidUsageException;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.core.pricing.UnknownPowerLevelException;
import io.llmmetering.schemas.UsageEvent;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Turns a parsed event into the {@link UsageEvent} that is published, or says why not. An event without an id
 * gets one derived from the request's Idempotency-Key and its position in the batch, so a retried request
 * yields the same ids and is charged once; without either, the event is refused.
 */
public final class EventNormalizer {

    static final int MAX_ID_LENGTH = 255;
    static final int MAX_NAME_LENGTH = 200;
    private static final Instant EARLIEST = Instant.parse("2020-01-01T00:00:00Z");

    private final PriceBook priceBook;
    private final Duration maxClockSkew;

    public EventNormalizer(PriceBook priceBook, Duration maxClockSkew) {
        this.priceBook = priceBook;
        this.maxClockSkew = maxClockSkew;
    }

    /** The outcome for one event: exactly one of {@code event} and {@code rejection} is set. */
    public record Outcome(UsageEvent event, ParsedEvent.Rejected rejection) {
    }

    public Outcome normalize(ParsedEvent.Candidate candidate, String idempotencyKey, String ingestKeyId, Instant now) {
        IncomingEvent in = candidate.event();
        int index = candidate.index();
        String eventId = in.eventId();
        if (isBlank(eventId)) {
            if (isBlank(idempotencyKey)) {
                return reject(index, "missing_event_id", "event has no id and the request has no Idempotency-Key header");
            }
            eventId = UUID.nameUUIDFromBytes((idempotencyKey + "#" + index).getBytes(StandardCharsets.UTF_8)).toString();
        }
        String problem = firstProblem(text("event_id", eventId, MAX_ID_LENGTH), text("user_id", in.userId(), MAX_ID_LENGTH),
                text("model", in.model(), MAX_NAME_LENGTH), text("provider", in.provider(), MAX_NAME_LENGTH));
        if (problem != null) {
            return reject(index, problem.startsWith("missing") ? "missing_field" : "invalid_field", problem.substring(problem.indexOf(':') + 1).strip());
        }
        if (in.inputTokens() == null && in.outputTokens() == null) {
            return reject(index, "missing_field", "input_tokens and output_tokens are both missing");
        }
        TokenUsage usage;
        try {
            usage = new TokenUsage(orZero(in.inputTokens()), orZero(in.outputTokens()), orZero(in.cachedInputTokens()));
        } catch (InvalidUsageException e) {
            return reject(index, "invalid_tokens", e.getMessage());
        }
        String powerLevel;
        try {
            powerLevel = isBlank(in.powerLevel()) ? null : priceBook.powerLevel(in.powerLevel()).name();
        } catch (UnknownPowerLevelException e) {
            return reject(index, "unknown_power_level", e.getMessage());
        }
        Instant occurredAt = in.occurredAt() == null ? now : in.occurredAt();
        if (occurredAt.isAfter(now.plus(maxClockSkew))) {
            return reject(index, "occurred_in_future", "time " + occurredAt + " is more than " + maxClockSkew.toMinutes() + " minutes ahead");
        }
        if (occurredAt.isBefore(EARLIEST)) {
            return reject(index, "invalid_time", "time " + occurredAt + " is before " + EARLIEST);
        }
        UsageEvent event = UsageEvent.newBuilder()
                .setEventId(eventId).setUserId(in.userId()).setProvider(in.provider()).setModel(in.model())
                .setInputTokens(usage.inputTokens()).setOutputTokens(usage.outputTokens()).setCachedInputTokens(usage.cachedInputTokens())
                .setPowerLevel(powerLevel).setOccurredAt(Instant.ofEpochMilli(occurredAt.toEpochMilli()))
                .setMetadata(in.metadata() == null ? java.util.Map.of() : in.metadata())
                .setSource(isBlank(in.source()) ? "unknown" : truncate(in.source()))
                .setIngestKeyId(ingestKeyId).setIngestedAt(Instant.ofEpochMilli(now.toEpochMilli()))
                .build();
        return new Outcome(event, null);
    }

    private static String text(String field, String value, int maxLength) {
        if (isBlank(value)) {
            return "missing: " + field + " is missing";
        }
        if (value.length() > maxLength) {
            return "invalid: " + field + " is longer than " + maxLength + " characters";
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            return "invalid: " + field + " contains control characters";
        }
        return null;
    }

    private static String firstProblem(String... problems) {
        for (String problem : problems) {
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static Outcome reject(int index, String reason, String detail) {
        return new Outcome(null, new ParsedEvent.Rejected(index, reason, detail));
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    private static String truncate(String value) {
        return value.length() > MAX_NAME_LENGTH ? value.substring(0, MAX_NAME_LENGTH) : value;
    }
}
