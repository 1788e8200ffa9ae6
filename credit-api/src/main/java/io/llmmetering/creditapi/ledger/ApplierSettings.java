package io.llmmetering.creditapi.ledger;

import io.llmmetering.core.money.Credits;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * @param batchSizeMax          debits per PostgreSQL transaction at most
 * @param linger                how long a partial batch waits for more debits before it is applied anyway
 * @param retryBackoff          pause before a failed batch is read again from the stored offsets
 * @param lowBalanceThresholds  per tier: crossing below it raises a low_balance alert
 * @param defaultLowBalance     for tiers without a threshold of their own
 * @param spikes                when a user's spend is a spike
 */
public record ApplierSettings(String bootstrapServers, String consumerGroup, int batchSizeMax, Duration linger,
                              Duration retryBackoff, Map<String, Credits> lowBalanceThresholds, Credits defaultLowBalance,
                              SpikeSettings spikes) {

    public ApplierSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(consumerGroup, "consumerGroup");
        if (batchSizeMax < 1 || batchSizeMax > 50_000) {
            throw new IllegalArgumentException("batchSizeMax must be 1-50000, was " + batchSizeMax);
        }
        if (linger.isNegative() || retryBackoff.isNegative()) {
            throw new IllegalArgumentException("linger and retryBackoff must not be negative");
        }
        lowBalanceThresholds = Map.copyOf(lowBalanceThresholds);
        Objects.requireNonNull(defaultLowBalance, "defaultLowBalance");
        Objects.requireNonNull(spikes, "spikes");
    }

    public static ApplierSettings defaults(String bootstrapServers) {
        return new ApplierSettings(bootstrapServers, "credit-api-debit-applier", 5_000, Duration.ofMillis(50), Duration.ofSeconds(1),
                Map.of("free", Credits.ofWhole(1), "starter", Credits.ofWhole(5), "professional", Credits.ofWhole(10),
                        "enterprise", Credits.ofWhole(50)), Credits.ofWhole(1), SpikeSettings.defaults());
    }

    public Credits lowBalanceThreshold(String tier) {
        return lowBalanceThresholds.getOrDefault(tier, defaultLowBalance);
    }
}
