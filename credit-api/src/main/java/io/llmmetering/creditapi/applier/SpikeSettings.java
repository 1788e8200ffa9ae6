package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;

import java.time.Duration;
import java.util.Objects;

/**
 * When a user's spend is a spike.
 *
 * @param window            the sliding window whose spend is compared against the baseline (whole minutes)
 * @param baseline          the history the baseline is averaged over (2 to 288 windows, at most a day)
 * @param multiplierPercent spend in the window above this percentage of the baseline is a spike (500 = 5x)
 * @param minimumSpend      below this, no spend is a spike, however quiet the baseline was
 * @param absoluteThreshold spend in the window at or above this is a spike whatever the baseline
 * @param usersTracked      users whose history is kept in memory at most; the least recently charged go first
 */
public record SpikeSettings(Duration window, Duration baseline, int multiplierPercent, Credits minimumSpend, Credits absoluteThreshold,
                            int usersTracked) {

    // the defaults, as text both this class and the service's configuration read (credit.applier.spike-*)
    public static final String DEFAULT_WINDOW = "PT5M";
    public static final String DEFAULT_BASELINE = "PT1H";
    public static final String DEFAULT_MULTIPLIER_PERCENT = "500";
    public static final String DEFAULT_MINIMUM_SPEND = "1";
    public static final String DEFAULT_ABSOLUTE_THRESHOLD = "100";
    public static final String DEFAULT_USERS_TRACKED = "200000";

    public SpikeSettings {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(baseline, "baseline");
        if (window.toMinutes() < 1 || window.toSeconds() % 60 != 0) {
            throw new IllegalArgumentException("spike window must be a whole number of minutes, was " + window);
        }
        if (baseline.toMinutes() % window.toMinutes() != 0 || baseline.compareTo(window.multipliedBy(2)) < 0 || baseline.toMinutes() > 24 * 60) {
            throw new IllegalArgumentException("spike baseline must be 2 to 288 spike windows and at most a day, was " + baseline);
        }
        if (multiplierPercent <= 100) {
            throw new IllegalArgumentException("spike multiplier percent must be above 100, was " + multiplierPercent);
        }
        Objects.requireNonNull(minimumSpend, "minimumSpend");
        Objects.requireNonNull(absoluteThreshold, "absoluteThreshold");
        if (usersTracked < 1) {
            throw new IllegalArgumentException("spike users tracked must be positive, was " + usersTracked);
        }
    }

    public static SpikeSettings defaults() {
        return new SpikeSettings(Duration.parse(DEFAULT_WINDOW), Duration.parse(DEFAULT_BASELINE), Integer.parseInt(DEFAULT_MULTIPLIER_PERCENT),
                Credits.parse(DEFAULT_MINIMUM_SPEND), Credits.parse(DEFAULT_ABSOLUTE_THRESHOLD), Integer.parseInt(DEFAULT_USERS_TRACKED));
    }
}
