package io.llmmetering.meteringstreams.service;

import io.llmmetering.meteringstreams.topology.TopologySettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The topology's defaults are written once: the service's configuration with nothing set is what tests build. */
class DefaultsTest {

    @Test
    void theServicesConfigurationWithNothingSetIsTheTopologyDefaults() {
        MeteringStreamsProperties configured = MeteringStreamsProperties.bind(Map.of());

        assertThat(configured.topology().toSettings(MeteringStreamsProperties.EventRules.bind(Map.of()))).isEqualTo(TopologySettings.defaults());
        assertThat(configured.commitInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(configured.partitions()).isEqualTo(6);
    }

    @Test
    void overridesAreReadByTheirConfigurationNames() {
        MeteringStreamsProperties configured = MeteringStreamsProperties.bind(Map.of(
                "metering.streams.state-dir", "/data/streams", "metering.streams.topology.dedupe-horizon", "48h"));

        assertThat(configured.stateDir()).isEqualTo("/data/streams");
        assertThat(configured.topology().dedupeHorizon()).isEqualTo(Duration.ofHours(48));
    }
}
