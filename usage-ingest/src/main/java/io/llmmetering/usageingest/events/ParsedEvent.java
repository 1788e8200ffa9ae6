package io.llmmetering.usageingest.events;

/** One element of a request body: an event to validate, a refusal, or a record that is not usage (skipped). */
public sealed interface ParsedEvent {

    int index();

    record Candidate(int index, IncomingEvent event) implements ParsedEvent {
    }

    record Rejected(int index, String reason, String detail) implements ParsedEvent {
    }

    /** Not an error: e.g. a LiteLLM failure record, which cost nothing. */
    record Ignored(int index, String why) implements ParsedEvent {
    }
}
