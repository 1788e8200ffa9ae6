package io.llmmetering.usageingest.publishing;

/** Kafka did not acknowledge the events in time: the client should retry (503 with Retry-After). */
public final class KafkaUnavailableException extends RuntimeException {
    public KafkaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
