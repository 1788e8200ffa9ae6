package io.llmmetering.local;

import io.llmmetering.meteringstreams.service.MeteringStreamsProperties;
import io.llmmetering.schemas.UsageEventRules;
import io.llmmetering.usageingest.UsageIngestProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** usage-ingest and the topology check an event's time against one limit: one setting, one default. */
class EventRulesSettingTest {

    @Test
    void oneClockSkewSettingReachesIngestAndTheTopology() {
        Map<String, String> configured = Map.of("metering.events.max-clock-skew", "90s");
        assertThat(ingest(configured).maxClockSkew()).isEqualTo(Duration.ofSeconds(90));
        assertThat(MeteringStreamsProperties.EventRules.bind(configured).maxClockSkew()).isEqualTo(Duration.ofSeconds(90));

        Duration byDefault = Duration.parse(UsageEventRules.DEFAULT_MAX_CLOCK_SKEW);
        assertThat(ingest(Map.of()).maxClockSkew()).isEqualTo(byDefault);
        assertThat(MeteringStreamsProperties.EventRules.bind(Map.of()).maxClockSkew()).isEqualTo(byDefault);
    }

    private static UsageIngestProperties ingest(Map<String, String> configured) {
        return new Binder(new MapConfigurationPropertySource(configured)).bindOrCreate("metering.events", UsageIngestProperties.class);
    }
}
