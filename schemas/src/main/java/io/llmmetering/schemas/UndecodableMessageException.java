package io.llmmetering.schemas;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that are not a message of the expected type. It extends Kafka's {@link SerializationException} so
 * that Kafka Streams' and spring-kafka's deserialization handlers route the record to the DLQ instead of
 * stopping. {@link #reason()} is the stable, machine-readable cause written into DLQ headers.
 */
public final class UndecodableMessageException extends SerializationException {

    /** Why the bytes did not decode. */
    public enum Reason {
        /** No Avro single-object marker: not one of our messages at all (JSON, plain text, truncated). */
        BAD_HEADER,
        /** A single-object message whose schema fingerprint no version of any of our schemas has. */
        UNKNOWN_SCHEMA,
        /** A known schema, but of another record type (a Debit on the usage topic, say). */
        WRONG_TYPE,
        /** A known schema whose body does not parse (truncated or corrupted). */
        CORRUPT_BODY;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;

    UndecodableMessageException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
