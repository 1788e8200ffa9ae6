package io.llmmetering.creditapi.applier;

import io.llmmetering.schemas.CreditAlert;

import java.util.List;
import java.util.Map;

/**
 * The outcome of one batch: how many debits it held, how many were newly recorded and charged, how many were
 * already in the ledger (replays older than the topology's dedupe horizon), the balance changes, and what the
 * newly charged debits were (per user and minute for the spike detector, per model for the spend metric), and
 * the note that its users' balances are yet to reach Redis ({@code cachePendingId}, 0 when nothing was charged),
 * and the alerts its balance changes raised (already in the webhook outbox, in the batch's transaction).
 */
record AppliedBatch(int debits, int applied, int alreadyRecorded, List<BalanceChange> changes, BatchCharges charges,
                    long cachePendingId, List<CreditAlert> alerts) {

    public Map<ModelKey, Long> spendNanosByModel() {
        return charges.spendByModel();
    }


    /** What the charged spend was for, for the spend-by-model metric. */
    public record ModelKey(String provider, String model) {
    }
}
