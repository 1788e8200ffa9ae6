package io.llmmetering.meteringstreams.topology;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopologySettingsTest {

    @Test
    void aWrongValueFailsWithItsName() {
        assertThatThrownBy(() -> new TopologySettings(Duration.ZERO, Duration.ofMinutes(5))).hasMessageContaining("dedupeHorizon");
        assertThatThrownBy(() -> new TopologySettings(Duration.ofHours(24), Duration.ofSeconds(-1))).hasMessageContaining("maxClockSkew");
        assertThatThrownBy(() -> new TopologySettings(Duration.ofHours(24), null)).hasMessageContaining("maxClockSkew");
    }
}
