package io.llmmetering.usageingest.events;

/** The body is not the JSON (or NDJSON) it claims to be; the message says where. */
public final class MalformedBodyException extends RuntimeException {
    public MalformedBodyException(String message) {
        super(message);
    }
}
