package io.llmmetering.creditapi.applier;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SpendMetricTest {

    /** 50 events with 50 provider strings made 50 series that Micrometer never removes: memory a proxy could grow. */
    @Test
    @Tag("security")
    void aProxyChosenProviderCannotGrowTheNumberOfSeriesWithoutBound() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SpendMetric spend = new SpendMetric(registry);
        for (int i = 0; i < 500; i++) {
            BatchCharges charges = new BatchCharges();
            charges.add(new LedgerDebit("e" + i, "u", 1_000_000_000L, "gpt-4o", "provider-" + i, 1, 1, 0, "balanced", "free", 0, 0, "v", "s"));
            spend.record(new AppliedBatch(1, 1, 0, List.of(), charges, 0, List.of()));
        }

        assertThat(registry.find("credit.spend").counters()).hasSize(SpendMetric.PROVIDERS_MAX + 1);
        assertThat(registry.find("credit.spend").tag("provider", SpendMetric.OTHER).counter().count())
                .isEqualTo(500 - SpendMetric.PROVIDERS_MAX);
        assertThat(registry.find("credit.spend").counters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(500.0);
    }
}
