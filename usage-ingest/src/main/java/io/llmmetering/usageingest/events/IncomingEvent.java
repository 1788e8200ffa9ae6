package io.llmmetering.usageingest.events;

import java.time.Instant;
import java.util.Map;

/**
 * A usage event as read from any of the accepted formats, before validation: any field may be missing.
 * Token counts are boxed so that "absent" differs from 0.
 */
public record IncomingEvent(String eventId, String userId, String provider, String model, Long inputTokens, Long outputTokens,
                            Long cachedInputTokens, String powerLevel, Instant occurredAt, Map<String, String> metadata,
                            String source) {
}
