package io.llmmetering.meteringstreams.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StateStoreMetricsTest {

    private static void rocksDbGauge(PrometheusMeterRegistry registry, String storeTag, String store, double value) {
        Gauge.builder("kafka.stream.state.block.cache.usage", () -> value)
                .tag("kafka.version", "4.1.2").tag(storeTag, store).tag("task.id", "0_1").tag("thread.id", "t-1")
                .register(registry);
    }

    @Test
    void withoutTheFilterTheWindowStoresRocksDbMetricsAreLost() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        rocksDbGauge(registry, "rocksdb.state.id", "model-prices", 1);
        rocksDbGauge(registry, "rocksdb.window.state.id", "dedupe-event-ids", 2);

        assertThat(registry.scrape()).contains("model-prices").doesNotContain("dedupe-event-ids");
    }

    @Test
    void keyValueAndWindowStoresAreBothExportedUnderOneTagKey() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(MeteringStreamsApplication.oneTagKeyForEveryStateStore());
        rocksDbGauge(registry, "rocksdb.state.id", "model-prices", 1);
        rocksDbGauge(registry, "rocksdb.window.state.id", "dedupe-event-ids", 2);

        assertThat(registry.scrape())
                .contains("rocksdb_state_id=\"model-prices\"")
                .contains("rocksdb_state_id=\"dedupe-event-ids\"")
                .doesNotContain("rocksdb_window_state_id");
    }
}
