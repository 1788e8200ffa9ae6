package io.llmmetering.creditapi.deadletters;

import java.time.Instant;
import java.util.Optional;

/**
 * One archived dead letter: where it sits in Kafka, why it was refused, where it came from, the event it
 * carries where its bytes decode, and the replay that sent it back, if any.
 */
public record DeadLetter(long id, String topic, int partition, long offset, String reason, String error, Source source,
                         String processor, Instant failedAt, Optional<Event> event, Optional<Replayed> replayed) {

    public record Source(String topic, Integer partition, Long offset) {
    }

    /** The decoded usage event (or debit): text as it was sent, shortened to {@link DeadLetterArchive#MAX_TEXT}. */
    public record Event(String eventId, String userId, String model, String provider, Long inputTokens, Long outputTokens,
                        Long cachedInputTokens, Instant occurredAt) {
    }

    public record Replayed(long replayId, Instant at, String by) {
    }
}
