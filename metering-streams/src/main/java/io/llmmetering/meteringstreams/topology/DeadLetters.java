package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.DeadLetterHeaders;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;

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
    private static final int MAX_ERROR_LENGTH = 500;

    private DeadLetters() {
    }

    static Record<String, byte[]> of(ProcessorContext<?, ?> context, String key, byte[] originalBytes, Rejection rejection,
                                     String processor, long timestamp) {
        Headers headers = new RecordHeaders();
        add(headers, REASON, rejection.reason());
        String error = rejection.message();
        add(headers, ERROR, error.length() > MAX_ERROR_LENGTH ? error.substring(0, MAX_ERROR_LENGTH) : error);
        context.recordMetadata().ifPresent(source -> addSource(headers, source));
        add(headers, PROCESSOR, processor);
        add(headers, FAILED_AT, String.valueOf(context.currentSystemTimeMs()));
        return new Record<>(key, originalBytes, timestamp, headers);
    }

    private static void addSource(Headers headers, RecordMetadata source) {
        add(headers, SOURCE_TOPIC, source.topic());
        add(headers, SOURCE_PARTITION, String.valueOf(source.partition()));
        add(headers, SOURCE_OFFSET, String.valueOf(source.offset()));
    }

    private static void add(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
