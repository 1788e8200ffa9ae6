package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.DeadLetterHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Builds the record sent to {@code usage.events.dlq}: the original key and bytes, unchanged, with headers
 * saying why and where from, so an operator can fix the cause and replay the record as it was.
 */
final class DeadLetters {

    static final String REASON = DeadLetterHeaders.REASON;
    static final String ERROR = DeadLetterHeaders.ERROR;
    static final String SOURCE_TOPIC = DeadLetterHeaders.SOURCE_TOPIC;
    static final String SOURCE_PARTITION = DeadLetterHeaders.SOURCE_PARTITION;
    static final String SOURCE_OFFSET = DeadLetterHeaders.SOURCE_OFFSET;
    static final String PROCESSOR = DeadLetterHeaders.PROCESSOR;
    static final String FAILED_AT = DeadLetterHeaders.FAILED_AT;

    private DeadLetters() {
    }

    static Record<String, byte[]> of(ProcessorContext<?, ?> context, String key, byte[] originalBytes, Rejection rejection,
                                     String processor, long timestamp) {
        DeadLetterHeaders.Source source = context.recordMetadata()
                .map(from -> new DeadLetterHeaders.Source(from.topic(), from.partition(), from.offset())).orElse(null);
        return new Record<>(key, originalBytes, timestamp,
                DeadLetterHeaders.of(rejection.reason(), rejection.message(), source, processor, context.currentSystemTimeMs()));
    }
}
