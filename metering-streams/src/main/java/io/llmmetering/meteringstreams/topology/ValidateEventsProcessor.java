package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.UndecodableMessageException;
import io.llmmetering.schemas.UsageEventRules;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Decodes each record of {@code usage.events} and checks it against {@link UsageEventRules}, the rules ingest
 * applies too (other producers may write to the topic directly). Decoding happens here rather than in a serde so
 * that a poison pill becomes an ordinary dead letter, written in the same transaction as everything else,
 * instead of an exception that stops the task.
 */
final class ValidateEventsProcessor extends DeadLetteringProcessor<byte[]> {

    private final MessageCodec<UsageEvent> codec = MessageCodec.of(UsageEvent.class);
    private final Duration maxClockSkew;

    ValidateEventsProcessor(Duration maxClockSkew, Step step) {
        super(step);
        this.maxClockSkew = maxClockSkew;
    }

    @Override
    byte[] originalBytes(Record<String, byte[]> record) {
        return record.value();
    }

    @Override
    void handle(Record<String, byte[]> record) {
        UsageEvent event;
        try {
            event = codec.decode(record.value());
        } catch (UndecodableMessageException e) {
            deadLetter(record, new Rejection(e.reason().code(), e.getMessage()));
            return;
        }
        Optional<UsageEventRules.Violation> violation =
                UsageEventRules.check(event, Instant.ofEpochMilli(context().currentSystemTimeMs()), maxClockSkew);
        if (violation.isPresent()) {
            deadLetter(record, new Rejection(violation.get().reason(), violation.get().detail()));
            return;
        }
        if (record.key() == null || !record.key().equals(event.getUserId())) {
            // Dedupe and per-user state rely on one user's events living in one partition.
            deadLetter(record, new Rejection("wrong_key", "record key must be the event's user_id"));
            return;
        }
        context().forward(record.withValue(new ValidatedEvent(event, record.value())), step.next());
    }
}
