package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.money.Credits;

import java.time.Duration;
import java.util.Objects;

/**
 * What the topology is tuned by. Every value has a default that suits one small box.
 *
 * @param dedupeHorizon          how long an event id is remembered; a duplicate older than this is left to
 *                               the ledger's unique (event_id, occurred_at)
 * @param maxClockSkew           how far in the future an event's occurred_at may lie before it is rejected
 * @param rollupGrace            how late an event may arrive and still count in its hourly/daily rollup
 * @param rollupEmitInterval     how often changed rollup windows are published (wall clock)
 * @param spikeWindow            the sliding window whose spend is compared against the baseline
 * @param spikeBaseline          the history the baseline is averaged over (a multiple of spikeWindow)
 * @param spikeMultiplierPercent spend in the window above this percentage of the baseline is a spike (500 = 5x)
 * @param spikeMinimumSpend      below this, no spend is a spike, however quiet the baseline was
 * @param spikeAbsoluteThreshold spend in the window at or above this is a spike whatever the baseline
 */
public record TopologySettings(
        Duration dedupeHorizon,
        Duration maxClockSkew,
        Duration rollupGrace,
        Duration rollupEmitInterval,
        Duration spikeWindow,
        Duration spikeBaseline,
        int spikeMultiplierPercent,
        Credits spikeMinimumSpend,
        Credits spikeAbsoluteThreshold) {

    public TopologySettings {
        requirePositive("dedupeHorizon", dedupeHorizon);
        requirePositive("maxClockSkew", maxClockSkew);
        Objects.requireNonNull(rollupGrace, "rollupGrace");
        if (rollupGrace.isNegative()) {
            throw new IllegalArgumentException("rollupGrace must not be negative, was " + rollupGrace);
        }
        requirePositive("rollupEmitInterval", rollupEmitInterval);
        requirePositive("spikeWindow", spikeWindow);
        requirePositive("spikeBaseline", spikeBaseline);
        if (spikeWindow.toMinutes() < 1 || spikeWindow.toSeconds() % 60 != 0) {
            throw new IllegalArgumentException("spikeWindow must be a whole number of minutes, was " + spikeWindow);
        }
        if (spikeBaseline.toMinutes() % spikeWindow.toMinutes() != 0 || spikeBaseline.compareTo(spikeWindow.multipliedBy(2)) < 0
                || spikeBaseline.toMinutes() > 24 * 60) {
            throw new IllegalArgumentException("spikeBaseline must be 2 to 288 spike windows and at most a day, was " + spikeBaseline);
        }
        if (spikeMultiplierPercent <= 100) {
            throw new IllegalArgumentException("spikeMultiplierPercent must be above 100, was " + spikeMultiplierPercent);
        }
        Objects.requireNonNull(spikeMinimumSpend, "spikeMinimumSpend");
        Objects.requireNonNull(spikeAbsoluteThreshold, "spikeAbsoluteThreshold");
    }

    public static TopologySettings defaults() {
        return new TopologySettings(Duration.ofHours(24), Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofSeconds(30),
                Duration.ofMinutes(5), Duration.ofHours(1), 500, Credits.parse("1"), Credits.parse("100"));
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
