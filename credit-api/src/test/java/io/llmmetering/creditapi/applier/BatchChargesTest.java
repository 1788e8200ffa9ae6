package io.llmmetering.creditapi.applier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchChargesTest {

    static LedgerDebit debit(String user, String eventId, String provider, String model, long nanos) {
        return new LedgerDebit(eventId, user, nanos, model, provider, 10, 5, 0, "balanced", "free", 1_000L, 2_000L, "v1", "test");
    }

    @Test
    void sumsPerUserInUserIdOrderAndPerModel() {
        BatchCharges charges = new BatchCharges();
        charges.add(debit("user-b", "e1", "openai", "gpt-4o", 1_000_000_001L));
        charges.add(debit("user-a", "e2", "anthropic", "claude-sonnet-4-5", 7));
        charges.add(debit("user-b", "e3", "openai", "gpt-4o", 999_999_999L));
        charges.add(debit("user-c", "e4", "openai", "gpt-4o-mini", 0));

        assertThat(charges.users()).containsExactly("user-a", "user-b", "user-c");
        assertThat(charges.amounts()).containsExactly(7L, 2_000_000_000L, 0L);
        assertThat(charges.eventCounts()).containsExactly(1, 2, 1);
        assertThat(charges.events()).isEqualTo(4);
        assertThat(charges.chargedNanos("user-b")).isEqualTo(2_000_000_000L);
        assertThat(charges.eventCount("user-b")).isEqualTo(2);
        assertThat(charges.spendByModel()).containsEntry(new AppliedBatch.ModelKey("openai", "gpt-4o"), 2_000_000_000L)
                .containsEntry(new AppliedBatch.ModelKey("anthropic", "claude-sonnet-4-5"), 7L)
                .containsEntry(new AppliedBatch.ModelKey("openai", "gpt-4o-mini"), 0L).hasSize(3);
        assertThat(charges.recordedUsers()).containsExactly("user-b", "user-a", "user-b", "user-c");
        assertThat(charges.recordedEvents()).containsExactly("e1", "e2", "e3", "e4");
        assertThat(charges.charged()).extracting(LedgerDebit::eventId).containsExactly("e1", "e2", "e3", "e4");
        assertThat(charges.hours()).containsExactly(0L);
    }

    @Test
    void eachUsersSpendIsKeptPerMinuteOfEventTimeAndTheHoursAreDistinct() {
        BatchCharges charges = new BatchCharges();
        long minute = 60_000;
        charges.add(at("user-a", "m1", 5, 7 * minute + 1));
        charges.add(at("user-a", "m2", 6, 7 * minute + 59_999));
        charges.add(at("user-a", "m3", 11, 9 * minute));
        charges.add(at("user-a", "m4", 1, 7 * minute + 30_000));
        charges.add(at("user-b", "m5", 2, 3_600_000 + 5));

        BatchCharges.UserCharge a = charges.byUser().get("user-a");
        assertThat(a.minuteCount()).isEqualTo(2);
        assertThat(a.minute(0)).isEqualTo(7);
        assertThat(a.minuteNanos(0)).isEqualTo(12);
        assertThat(a.minute(1)).isEqualTo(9);
        assertThat(a.minuteNanos(1)).isEqualTo(11);
        assertThat(a.newestOccurredMillis()).isEqualTo(9 * minute);
        assertThat(charges.hours()).containsExactly(0L, 3_600_000L);
    }

    private static LedgerDebit at(String user, String eventId, long nanos, long occurredAtMillis) {
        return new LedgerDebit(eventId, user, nanos, "gpt-4o", "openai", 10, 5, 0, "balanced", "free", occurredAtMillis, occurredAtMillis,
                "v1", "test");
    }

    @Test
    void anEmptyBatchChargesNobody() {
        BatchCharges charges = new BatchCharges();
        assertThat(charges.isEmpty()).isTrue();
        assertThat(charges.users()).isEmpty();
        assertThat(charges.events()).isZero();
    }

    @Test
    void aSumBeyondLongFailsInsteadOfWrapping() {
        BatchCharges charges = new BatchCharges();
        charges.add(debit("user-a", "e1", "openai", "gpt-4o", Long.MAX_VALUE));
        assertThatThrownBy(() -> charges.add(debit("user-a", "e2", "openai", "gpt-4o", 1))).isInstanceOf(ArithmeticException.class);
    }
}
