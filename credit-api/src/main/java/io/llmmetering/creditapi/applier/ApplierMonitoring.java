package io.llmmetering.creditapi.applier;

import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;

/**
 * What a process's appliers report together: whether each partition moves, and the spend metric. Shared so that
 * a partition moving from one applier to another keeps its gauge and the spend labels keep one bound.
 */
public record ApplierMonitoring(PartitionProgress progress, SpendMetric spend) {

    public static ApplierMonitoring of(MeterRegistry registry, Duration stallAfter) {
        return new ApplierMonitoring(new PartitionProgress(registry, stallAfter), new SpendMetric(registry));
    }
}
