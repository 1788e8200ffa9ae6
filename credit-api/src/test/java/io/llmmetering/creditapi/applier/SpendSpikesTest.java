package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.CreditAlert;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpendSpikesTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private static final Instant NOW = T0.plus(Duration.ofHours(2));

    private static LedgerDebit spend(String user, String credits, Instant occurredAt) {
        return new LedgerDebit(user + "-" + occurredAt.toEpochMilli(), user, Credits.parse(credits).nanos(), "o1", "openai", 0, 100_000, 0,
                "balanced", "free", occurredAt.toEpochMilli(), occurredAt.toEpochMilli(), "v1", "test");
    }

    /** Each debit in a batch of its own, as a trickle of traffic would arrive. */
    private static List<CreditAlert> oneBatchEach(SpendSpikes spikes, LedgerDebit... debits) {
        List<CreditAlert> alerts = new ArrayList<>();
        for (LedgerDebit debit : debits) {
            alerts.addAll(spikes.afterBatch(batch(List.of(debit)), NOW));
        }
        return alerts;
    }

    private static BatchCharges batch(List<LedgerDebit> debits) {
        BatchCharges charges = new BatchCharges();
        debits.forEach(charges::add);
        return charges;
    }

    @Test
    void spendAboveTheAbsoluteThresholdAlertsOncePerWindow() {
        SpendSpikes spikes = new SpendSpikes(new SpikeSettings(Duration.ofMinutes(5), Duration.ofHours(1), 500, Credits.parse("1"),
                Credits.parse("10"), 1000));
        List<CreditAlert> alerts = oneBatchEach(spikes, spend("dave", "6", T0.plusSeconds(10)), spend("dave", "6", T0.plusSeconds(20)),
                spend("dave", "6", T0.plusSeconds(30)), spend("dave", "6", T0.plusSeconds(90)));

        assertThat(alerts).singleElement().satisfies(alert -> {
            assertThat(alert.getKind()).isEqualTo("spend_spike");
            assertThat(alert.getSeverity()).isEqualTo("critical");
            assertThat(alert.getObservedNanos()).isEqualTo(Credits.ofWhole(12).nanos());
            assertThat(alert.getThresholdNanos()).isEqualTo(Credits.ofWhole(10).nanos());
            assertThat(alert.getUserId()).isEqualTo("dave");
            assertThat(alert.getEmittedAt()).isEqualTo(NOW);
        });
        // a whole window later, spending on: a new window, a new alert
        assertThat(oneBatchEach(spikes, spend("dave", "12", T0.plus(Duration.ofMinutes(7))))).hasSize(1);
    }

    @Test
    void aWholeBurstInOneBatchAlertsOnceWithTheBatchsSum() {
        SpendSpikes spikes = new SpendSpikes(new SpikeSettings(Duration.ofMinutes(5), Duration.ofHours(1), 500, Credits.parse("1"),
                Credits.parse("10"), 1000));
        List<CreditAlert> alerts = spikes.afterBatch(batch(List.of(spend("gina", "6", T0.plusSeconds(1)), spend("gina", "6", T0.plusSeconds(2)),
                spend("gina", "6", T0.plusSeconds(3)))), NOW);
        assertThat(alerts).singleElement().satisfies(alert -> assertThat(alert.getObservedNanos()).isEqualTo(Credits.ofWhole(18).nanos()));
    }

    @Test
    void spendFarAboveTheUsersBaselineAlertsOnce() {
        SpendSpikes spikes = new SpendSpikes(SpikeSettings.defaults());
        // baseline: 0.1 credit every 5 minutes for 55 minutes
        for (int minute = 0; minute < 55; minute += 5) {
            assertThat(oneBatchEach(spikes, spend("erin", "0.1", T0.plus(Duration.ofMinutes(minute))))).isEmpty();
        }
        // a burst of 0.4 credit a minute: above 5x the baseline at once, but an alert only once above the 1-credit minimum
        List<CreditAlert> alerts = oneBatchEach(spikes, spend("erin", "0.4", T0.plus(Duration.ofMinutes(57))),
                spend("erin", "0.4", T0.plus(Duration.ofMinutes(58))), spend("erin", "0.4", T0.plus(Duration.ofMinutes(59))),
                spend("erin", "0.4", T0.plus(Duration.ofMinutes(59)).plusSeconds(30)));

        assertThat(alerts).singleElement().satisfies(alert -> {
            assertThat(alert.getSeverity()).isEqualTo("warning");
            assertThat(alert.getObservedNanos()).isEqualTo(Credits.parse("1.2").nanos());
            assertThat(alert.getThresholdNanos()).isEqualTo(Credits.parse("0.5").nanos());
        });
    }

    @Test
    void steadySpendNeverAlerts() {
        SpendSpikes spikes = new SpendSpikes(SpikeSettings.defaults());
        for (int minute = 0; minute < 120; minute++) {
            assertThat(oneBatchEach(spikes, spend("frank", "1", T0.plus(Duration.ofMinutes(minute))))).isEmpty();
        }
    }

    @Test
    void freeEventsAndEventsOlderThanTheBaselineSayNothing() {
        SpendSpikes spikes = new SpendSpikes(new SpikeSettings(Duration.ofMinutes(5), Duration.ofHours(1), 500, Credits.parse("1"),
                Credits.parse("10"), 1000));
        assertThat(oneBatchEach(spikes, spend("hal", "0", T0), spend("hal", "1", T0.plus(Duration.ofHours(3))),
                spend("hal", "50", T0))).isEmpty();
    }

    @Test
    void theLeastRecentlyChargedUsersAreForgottenBeyondTheBound() {
        SpendSpikes spikes = new SpendSpikes(new SpikeSettings(Duration.ofMinutes(5), Duration.ofHours(1), 500, Credits.parse("1"),
                Credits.parse("100"), 3));
        for (String user : List.of("u1", "u2", "u3", "u4", "u1", "u5")) {
            spikes.afterBatch(batch(List.of(spend(user, "1", T0))), NOW);
        }
        assertThat(spikes.usersTracked()).isEqualTo(3);
    }

    @Test
    void aWrongSettingFailsWithItsName() {
        assertThatThrownBy(() -> new SpikeSettings(Duration.ofSeconds(90), Duration.ofHours(1), 500, Credits.ZERO, Credits.ofWhole(1), 1))
                .hasMessageContaining("window");
        assertThatThrownBy(() -> new SpikeSettings(Duration.ofMinutes(5), Duration.ofMinutes(7), 500, Credits.ZERO, Credits.ofWhole(1), 1))
                .hasMessageContaining("baseline");
        assertThatThrownBy(() -> new SpikeSettings(Duration.ofMinutes(5), Duration.ofHours(1), 100, Credits.ZERO, Credits.ofWhole(1), 1))
                .hasMessageContaining("multiplier");
        assertThatThrownBy(() -> new SpikeSettings(Duration.ofMinutes(5), Duration.ofHours(1), 500, Credits.ZERO, Credits.ofWhole(1), 0))
                .hasMessageContaining("users tracked");
    }
}
