package io.llmmetering.creditapi.ledger;

import java.util.List;
import java.util.Map;

/**
 * The outcome of one batch: how many debits it held, how many were newly recorded and charged, how many were
 * already in the ledger (replays older than the topology's dedupe horizon), the balance changes, what the newly
 * charged spend was for, and the charged debits themselves (whose spend the spike detector follows).
 */
public record AppliedBatch(int debits, int applied, int alreadyRecorded, List<BalanceChange> changes, Map<ModelKey, Long> spendNanosByModel,
                           List<LedgerDebit> charged) {

    /** What the charged spend was for, for the spend-by-model metric. */
    public record ModelKey(String provider, String model) {
    }
}
