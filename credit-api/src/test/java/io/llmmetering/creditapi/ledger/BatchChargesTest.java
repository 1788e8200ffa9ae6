package io.llmmetering.creditapi.ledger;

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
