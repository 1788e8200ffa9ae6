package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.UsageEventRules;

import java.time.Duration;

/**
 * What the topology is tuned by. Every value has a default that suits one small box.
 *
 * @param dedupeHorizon how long an event id is remembered; a duplicate older than this is left to the ledger's
 *                      unique (event_id, occurred_at)
 * @param maxClockSkew  how far in the future an event's occurred_at may lie before it is rejected ({@code metering.events.*},
 *                      shared with usage-ingest)
 */
public record TopologySettings(Duration dedupeHorizon, Duration maxClockSkew) {

    /** ISO-8601, which both {@link Duration#parse} and the service's configuration binder read: one default for both. */
    public static final String DEFAULT_DEDUPE_HORIZON = "PT24H";

    public TopologySettings {
        requirePositive("dedupeHorizon", dedupeHorizon);
        requirePositive("maxClockSkew", maxClockSkew);
    }

    public static TopologySettings defaults() {
        return new TopologySettings(Duration.parse(DEFAULT_DEDUPE_HORIZON), Duration.parse(UsageEventRules.DEFAULT_MAX_CLOCK_SKEW));
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
