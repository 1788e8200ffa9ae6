package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import org.apache.kafka.clients.consumer.ConsumerConfig;

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
public record ApplierSettings(String consumerGroup, int batchSizeMax, Duration linger,
                              Duration retryBackoff, Map<String, Credits> lowBalanceThresholds, Credits defaultLowBalance,
                              SpikeSettings spikes) {

    // the defaults, as text both this class and the service's configuration read (credit.applier.*)
    public static final String DEFAULT_CONSUMER_GROUP = "credit-api-debit-applier";
    public static final String DEFAULT_BATCH_SIZE_MAX = "5000";
    public static final String DEFAULT_LINGER = "PT0.05S";
    public static final String DEFAULT_RETRY_BACKOFF = "PT1S";
    public static final String DEFAULT_LOW_BALANCE = "1";
    /** The seed's tiers' low-balance thresholds; configuration adds tiers or overrides these. */
    public static final Map<String, Credits> DEFAULT_LOW_BALANCE_THRESHOLDS = Map.of("free", Credits.ofWhole(1),
            "starter", Credits.ofWhole(5), "professional", Credits.ofWhole(10), "enterprise", Credits.ofWhole(50));

    public ApplierSettings {
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

    /**
     * A crashed instance's partitions move to the others after 10 s instead of the default 45 s: the debits wait
     * for the applier, and a restarted instance joins as a new member. A default: configuration may change it.
     */
    static final Map<String, Object> CONSUMER_DEFAULTS = Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);

    /** What an applier's consumer must be, whatever the configuration says. */
    Map<String, Object> consumerProperties() {
        return Map.of(ConsumerConfig.GROUP_ID_CONFIG, consumerGroup,
                // the offsets that count are stored in PostgreSQL with each batch
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // only debits of committed topology transactions: an aborted attempt must never be charged
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, batchSizeMax);
    }

    public static ApplierSettings defaults() {
        return new ApplierSettings(DEFAULT_CONSUMER_GROUP, Integer.parseInt(DEFAULT_BATCH_SIZE_MAX),
                Duration.parse(DEFAULT_LINGER), Duration.parse(DEFAULT_RETRY_BACKOFF), DEFAULT_LOW_BALANCE_THRESHOLDS,
                Credits.parse(DEFAULT_LOW_BALANCE), SpikeSettings.defaults());
    }

    public Credits lowBalanceThreshold(String tier) {
        return lowBalanceThresholds.getOrDefault(tier, defaultLowBalance);
    }
}
