package io.llmmetering.usageingest.events;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.UnknownPowerLevelException;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.schemas.UsageEventRules;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns a parsed event into the {@link UsageEvent} that is published, or says why not, by {@link UsageEventRules}
 * (the rules the topology applies to what reaches Kafka by other ways) and what only ingest can check: an id to
 * derive, token counts present, a power level the price book knows. An event without an id gets one derived from
 * the ingest key, the request's Idempotency-Key and its position in the batch, so a retried request yields the
 * same ids and is charged once; without either, the event is refused.
 */
public final class EventNormalizer {

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
            eventId = derivedEventId(ingestKeyId, idempotencyKey, index);
        }
        Optional<UsageEventRules.Violation> text = UsageEventRules.requiredText(eventId, in.userId(), in.model(), in.provider());
        if (text.isPresent()) {
            return reject(index, text.get());
        }
        if (in.inputTokens() == null && in.outputTokens() == null) {
            return reject(index, UsageEventRules.MISSING_FIELD, "input_tokens and output_tokens are both missing");
        }
        String powerLevel;
        try {
            powerLevel = isBlank(in.powerLevel()) ? null : priceBook.powerLevel(in.powerLevel()).name();
        } catch (UnknownPowerLevelException e) {
            return reject(index, "unknown_power_level", e.getMessage());
        }
        Instant occurredAt = in.occurredAt() == null ? now : in.occurredAt();
        // before the event is built: a time past the year 292,278,994 has no epoch milliseconds
        Optional<UsageEventRules.Violation> time = UsageEventRules.time(occurredAt, now, maxClockSkew);
        if (time.isPresent()) {
            return reject(index, time.get());
        }
        UsageEvent event = UsageEvent.newBuilder()
                .setEventId(eventId).setUserId(in.userId()).setProvider(in.provider()).setModel(in.model())
                .setInputTokens(orZero(in.inputTokens())).setOutputTokens(orZero(in.outputTokens()))
                .setCachedInputTokens(orZero(in.cachedInputTokens()))
                .setPowerLevel(powerLevel).setOccurredAt(Instant.ofEpochMilli(occurredAt.toEpochMilli()))
                .setMetadata(in.metadata() == null ? java.util.Map.of() : in.metadata())
                .setSource(isBlank(in.source()) ? "unknown" : in.source())
                .setIngestKeyId(ingestKeyId).setIngestedAt(Instant.ofEpochMilli(now.toEpochMilli()))
                .build();
        Optional<UsageEventRules.Violation> broken = UsageEventRules.check(event, now, maxClockSkew);
        return broken.isPresent() ? reject(index, broken.get()) : new Outcome(event, null);
    }

    /**
     * The ingest key is part of the name: two proxies that happen to send the same Idempotency-Key value for the
     * same user are two callers, and each of their events is charged.
     */
    static String derivedEventId(String ingestKeyId, String idempotencyKey, int index) {
        String name = ingestKeyId + "\n" + idempotencyKey + "#" + index;
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static Outcome reject(int index, UsageEventRules.Violation violation) {
        return reject(index, violation.reason(), violation.detail());
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
}
