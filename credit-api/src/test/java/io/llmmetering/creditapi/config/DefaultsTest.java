package io.llmmetering.creditapi.config;

import io.llmmetering.creditapi.applier.ApplierSettings;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The applier's defaults are written once: the service's configuration with nothing set runs what tests run. */
class DefaultsTest {

    @Test
    void theServicesApplierConfigurationWithNothingSetIsTheApplierDefaults() {
        CreditApiProperties.Applier configured = new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("credit.applier", CreditApiProperties.Applier.class);

        assertThat(configured.toSettings()).isEqualTo(ApplierSettings.defaults());
    }

    @Test
    void aTierConfiguredAddsToTheSeedsThresholdsAndMayOverrideOne() {
        CreditApiProperties.Applier configured = new Binder(new MapConfigurationPropertySource(Map.of(
                "credit.applier.low-balance.team", "25", "credit.applier.low-balance.free", "2")))
                .bindOrCreate("credit.applier", CreditApiProperties.Applier.class);

        assertThat(configured.toSettings().lowBalanceThreshold("team").toString()).isEqualTo("25");
        assertThat(configured.toSettings().lowBalanceThreshold("free").toString()).isEqualTo("2");
        assertThat(configured.toSettings().lowBalanceThreshold("enterprise").toString()).isEqualTo("50");
    }
}
