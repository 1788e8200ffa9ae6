package io.llmmetering.creditapi.applier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** What an applier counts and times, under the names the dashboards and alerts query. */
record ApplierMeters(Counter applied, Counter alreadyRecorded, Counter failedBatches, Counter loopFailures, DistributionSummary batchSize,
                     Timer applyLatency) {

    static ApplierMeters register(MeterRegistry registry) {
        return new ApplierMeters(Counter.builder("credit.applier.debits.applied").register(registry),
                Counter.builder("credit.applier.debits.already_recorded").register(registry),
                Counter.builder("credit.applier.batches.failed").register(registry),
                Counter.builder("credit.applier.loop.failures").register(registry),
                DistributionSummary.builder("credit.applier.batch.size").register(registry),
                Timer.builder("credit.applier.batch.apply").publishPercentiles(0.5, 0.99).register(registry));
    }
}
