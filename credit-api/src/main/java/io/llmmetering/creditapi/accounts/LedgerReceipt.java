package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;

import java.util.UUID;

/**
 * The outcome of a balance change: the balance right after it and the ledger row that records it.
 *
 * @param amount   the signed amount booked (credits positive, debits negative)
 * @param replayed true when an idempotency key matched an earlier request and nothing new was booked
 * @param balanceVersion the account's balance version after a new booking (orders cache writes); 0 for a replay
 */
public record LedgerReceipt(Credits newBalance, UUID transactionId, Credits amount, boolean replayed, long balanceVersion) {
}
