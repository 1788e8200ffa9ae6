package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.UndecodableMessageException;
import io.llmmetering.schemas.UsageEventRules;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
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
final class ValidateEventsProcessor extends ContextualProcessor<String, byte[], String, Object> {

    private final MessageCodec<UsageEvent> codec = MessageCodec.of(UsageEvent.class);
    private final Duration maxClockSkew;
    private final Step step;
    private Sensor deadLettered;

    ValidateEventsProcessor(Duration maxClockSkew, Step step) {
        this.maxClockSkew = maxClockSkew;
        this.step = step;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        super.init(context);
        deadLettered = Metrics.sensor(context, "events-dead-lettered");
    }

    @Override
    public void process(Record<String, byte[]> record) {
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

    private void deadLetter(Record<String, byte[]> record, Rejection rejection) {
        deadLettered.record();
        context().forward(DeadLetters.of(context(), record.key(), record.value(), rejection, step.name(), record.timestamp()),
                step.deadLetters());
    }
}
