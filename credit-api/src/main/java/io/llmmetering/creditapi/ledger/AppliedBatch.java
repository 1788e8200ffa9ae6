package io.llmmetering.creditapi.ledger;

import java.util.List;

/**
 * The outcome of one batch: how many debits it held, how many were newly recorded and charged, how many were
 * already in the ledger (replays older than the topology's dedupe horizon), and the balance changes.
 */
public record AppliedBatch(int debits, int applied, int alreadyRecorded, List<BalanceChange> changes) {
}
