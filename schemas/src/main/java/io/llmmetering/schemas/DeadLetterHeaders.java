package io.llmmetering.schemas;

/** Header names on every dead-letter topic: why a record was refused and where it came from. */
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

    private DeadLetterHeaders() {
    }
}
