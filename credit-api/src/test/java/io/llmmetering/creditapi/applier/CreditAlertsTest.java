package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.CreditAlert;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An alert is a crossing: it fires in the one batch that crosses, never for an account that was already below. */
class CreditAlertsTest {

    private static final ApplierSettings SETTINGS = ApplierSettings.defaults();
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    @Test
    void aBalanceCrossingBelowItsTiersThresholdRaisesOneWarning() {
        List<CreditAlert> alerts = CreditAlerts.of(List.of(change("starter", "6", "4", null, "0", "2")), SETTINGS, NOW);

        assertThat(alerts).singleElement().satisfies(alert -> {
            assertThat(alert.getKind()).isEqualTo("low_balance");
            assertThat(alert.getSeverity()).isEqualTo("warning");
            assertThat(alert.getThresholdNanos()).isEqualTo(Credits.ofWhole(5).nanos());
            assertThat(alert.getObservedNanos()).isEqualTo(Credits.ofWhole(4).nanos());
        });
    }

    @Test
    void anAccountAlreadyBelowItsThresholdRaisesNothingAgain() {
        // every account the applier opens starts at 0, below every threshold: its debits are no crossing
        assertThat(CreditAlerts.of(List.of(change("free", "0", "-0.5", null, "0", "0.5"),
                change("starter", "4", "3", null, "0", "1")), SETTINGS, NOW)).isEmpty();
    }

    @Test
    void aBalanceExhaustedByTheCrossingIsCritical() {
        assertThat(CreditAlerts.of(List.of(change("free", "2", "0", null, "0", "2")), SETTINGS, NOW))
                .singleElement().satisfies(alert -> assertThat(alert.getSeverity()).isEqualTo("critical"));
    }

    @Test
    void reachingTheMonthlyCapRaisesItOnceAtTheCrossing() {
        assertThat(CreditAlerts.of(List.of(change("enterprise", "500", "490", "100", "95", "105")), SETTINGS, NOW))
                .extracting(CreditAlert::getKind).containsExactly("cap_reached");
        assertThat(CreditAlerts.of(List.of(change("enterprise", "490", "480", "100", "105", "115")), SETTINGS, NOW)).isEmpty();
    }

    private static BalanceChange change(String tier, String before, String after, String cap, String monthBefore, String monthAfter) {
        return new BalanceChange("u1", Credits.parse(before).minus(Credits.parse(after)), 1, Credits.parse(before), Credits.parse(after),
                Credits.parse(monthBefore), Credits.parse(monthAfter), cap == null ? null : Credits.parse(cap), tier, null, 1);
    }
}
