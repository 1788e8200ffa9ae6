package io.llmmetering.creditapi.applier;

import io.llmmetering.schemas.DeadLetterHeaders;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UndecodableMessageException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a debit that does not decode, or that PostgreSQL refused, to {@code credit.debits.dlq}, unchanged with the
 * reason, and waits for the broker: a letter that cannot be sent fails the batch (re-read from the stored offsets), it is never skipped.
 */
final class DebitDeadLetters {

    private static final Logger log = LoggerFactory.getLogger(DebitDeadLetters.class);

    private final Producer<String, byte[]> producer;
    private final Counter deadLettered;

    DebitDeadLetters(Producer<String, byte[]> producer, MeterRegistry registry) {
        this.producer = producer;
        this.deadLettered = Counter.builder("credit.applier.debits.dead_lettered").register(registry);
    }

    /** A record that does not decode to a debit. */
    void send(ConsumerRecord<String, byte[]> record, RuntimeException reason) {
        send(record, reason instanceof UndecodableMessageException undecodable ? undecodable.reason().code() : "invalid_debit",
                reason.getMessage());
    }

    void send(ConsumerRecord<String, byte[]> record, String code, String error) {
        deadLettered.increment();
        ProducerRecord<String, byte[]> letter = new ProducerRecord<>(Topics.CREDIT_DEBITS_DLQ, null, record.timestamp(), record.key(),
                record.value(), DeadLetterHeaders.of(code, error,
                        new DeadLetterHeaders.Source(record.topic(), record.partition(), record.offset()), null, System.currentTimeMillis()));
        try {
            // written before the batch's offsets move past it: a crash in between repeats the letter, never loses it
            producer.send(letter).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot dead-letter debit at " + record.topic() + "-" + record.partition() + "@" + record.offset(), e);
        }
        log.warn("debit dead-lettered partition={} offset={} reason={}", record.partition(), record.offset(), code);
    }
}
