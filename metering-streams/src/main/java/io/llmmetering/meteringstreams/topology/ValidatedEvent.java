package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.UsageEvent;

/** A decoded, valid usage event travelling with its original bytes, so a later refusal can dead-letter it unchanged. */
record ValidatedEvent(UsageEvent event, byte[] originalBytes) {
}
