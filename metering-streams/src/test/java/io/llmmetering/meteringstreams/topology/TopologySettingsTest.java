package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.money.Credits;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopologySettingsTest {

    private static TopologySettings with(Duration dedupe, Duration spikeWindow, Duration baseline, int percent) {
        return new TopologySettings(dedupe, Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofSeconds(30), spikeWindow, baseline,
                percent, Credits.ZERO, Credits.ofWhole(100));
    }

    @Test
    void aWrongValueFailsWithItsName() {
        assertThatThrownBy(() -> with(Duration.ZERO, Duration.ofMinutes(5), Duration.ofHours(1), 500)).hasMessageContaining("dedupeHorizon");
        assertThatThrownBy(() -> with(Duration.ofHours(24), Duration.ofSeconds(90), Duration.ofHours(1), 500)).hasMessageContaining("spikeWindow");
        assertThatThrownBy(() -> with(Duration.ofHours(24), Duration.ofMinutes(5), Duration.ofMinutes(7), 500)).hasMessageContaining("spikeBaseline");
        assertThatThrownBy(() -> with(Duration.ofHours(24), Duration.ofMinutes(5), Duration.ofHours(1), 100)).hasMessageContaining("spikeMultiplierPercent");
    }
}
