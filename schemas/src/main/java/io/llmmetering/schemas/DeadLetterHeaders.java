package io.llmmetering.schemas;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * The headers of every dead-letter topic: why a record was refused and where it came from. The record itself
 * keeps the original key and bytes, so it can be replayed as it was. Every writer builds them with {@link #of}.
 */
public final class DeadLetterHeaders {
    /** A stable, machine-readable code, e.g. {@code bad_header}, {@code unknown_model}. */
    public static final String REASON = "dlq.reason";
    /** A human-readable explanation, at most 500 characters. */
    public static final String ERROR = "dlq.error";
    public static final String SOURCE_TOPIC = "dlq.source.topic";
    public static final String SOURCE_PARTITION = "dlq.source.partition";
    public static final String SOURCE_OFFSET = "dlq.source.offset";
    public static final String PROCESSOR = "dlq.processor";
    public static final String FAILED_AT = "dlq.failed.at";

    public static final int MAX_ERROR_LENGTH = 500;

    private DeadLetterHeaders() {
    }

    /** Where a refused record was read from. */
    public record Source(String topic, int partition, long offset) {
    }

    /**
     * The headers for one refused record; {@code source} is null where the refusing step does not know it, and
     * {@code processor} null outside the topology.
     */
    public static Headers of(String reason, String error, Source source, String processor, long failedAtMillis) {
        Headers headers = new RecordHeaders();
        add(headers, REASON, reason);
        String message = String.valueOf(error);
        add(headers, ERROR, message.length() > MAX_ERROR_LENGTH ? message.substring(0, MAX_ERROR_LENGTH) : message);
        if (source != null) {
            add(headers, SOURCE_TOPIC, source.topic());
            add(headers, SOURCE_PARTITION, String.valueOf(source.partition()));
            add(headers, SOURCE_OFFSET, String.valueOf(source.offset()));
        }
        if (processor != null) {
            add(headers, PROCESSOR, processor);
        }
        add(headers, FAILED_AT, String.valueOf(failedAtMillis));
        return headers;
    }

    private static void add(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
