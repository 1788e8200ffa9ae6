package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code credit.spend}, in credits, by provider and model, for dashboards: a Micrometer counter is a double, and
 * nothing reads money back from it (the ledger's amounts are nano-credit longs and NUMERIC, never this). The provider is whatever the proxy reported and Micrometer never removes a series, so each label keeps
 * at most a bounded number of distinct values; later ones are counted as {@value #OTHER}: a proxy sending a new
 * provider per event cannot grow credit-api's memory. One instance per process: the bound is the process's.
 */
final class SpendMetric {

    static final String OTHER = "other";
    static final int PROVIDERS_MAX = 64;
    static final int MODELS_MAX = 1_000;

    private final MeterRegistry registry;
    private final Map<String, Boolean> providers = new ConcurrentHashMap<>();
    private final Map<String, Boolean> models = new ConcurrentHashMap<>();
    private final Map<AppliedBatch.ModelKey, Counter> counters = new ConcurrentHashMap<>();

    public SpendMetric(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(AppliedBatch batch) {
        batch.spendNanosByModel().forEach((key, nanos) -> counter(key).increment(nanos / (double) Credits.NANOS_PER_CREDIT));
    }

    private Counter counter(AppliedBatch.ModelKey key) {
        Counter counter = counters.get(key);
        if (counter != null) {
            return counter;
        }
        AppliedBatch.ModelKey bounded = new AppliedBatch.ModelKey(bounded(providers, key.provider(), PROVIDERS_MAX),
                bounded(models, key.model(), MODELS_MAX));
        counter = registry.counter("credit.spend", "provider", bounded.provider(), "model", bounded.model());
        if (bounded.equals(key)) {
            counters.put(key, counter);
        }
        return counter;
    }

    private static String bounded(Map<String, Boolean> seen, String value, int max) {
        if (seen.containsKey(value)) {
            return value;
        }
        synchronized (seen) {
            if (seen.size() >= max) {
                return OTHER;
            }
            seen.put(value, Boolean.TRUE);
            return value;
        }
    }
}
