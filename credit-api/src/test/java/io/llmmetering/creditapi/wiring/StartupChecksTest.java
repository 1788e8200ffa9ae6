package io.llmmetering.creditapi.wiring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StartupChecksTest {

    @Test
    void redisVersionsAreComparedPartByPart() {
        assertThat(StartupChecks.atLeast("7.0.15", StartupChecks.REDIS_MINIMUM)).isTrue();
        assertThat(StartupChecks.atLeast("6.2.0", StartupChecks.REDIS_MINIMUM)).isTrue();
        assertThat(StartupChecks.atLeast("6.10.1", StartupChecks.REDIS_MINIMUM)).isTrue();
        assertThat(StartupChecks.atLeast("6.0.20", StartupChecks.REDIS_MINIMUM)).isFalse();
        assertThat(StartupChecks.atLeast("5", StartupChecks.REDIS_MINIMUM)).isFalse();
        assertThat(StartupChecks.atLeast("7.2.4-rc1", StartupChecks.REDIS_MINIMUM)).isTrue();
    }
}
