package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.CreditLedger;
import io.llmmetering.creditapi.accounts.LedgerReceipt;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.holds.SpendHolds;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** Each request in a transaction of its own ({@code credit.spend.batched=false}): the baseline the batched path is measured against. */
public final class OneTransactionPerRequest implements Spending {

    private final SpendHolds holds;
    private final CreditLedger ledger;

    public OneTransactionPerRequest(SpendHolds holds, CreditLedger ledger) {
        this.holds = holds;
        this.ledger = ledger;
    }

    @Override
    public SpendHolds.Hold placeHold(String userId, String requestId, Credits estimate, Duration ttl, String actor) throws SQLException {
        return holds.place(userId, requestId, estimate, ttl, actor);
    }

    @Override
    public String voidHold(UUID holdId, String userId) throws SQLException {
        return holds.voidHold(holdId, userId);
    }

    @Override
    public SpendHolds.Authorization authorize(String userId, Credits estimate) throws SQLException {
        return holds.authorize(userId, estimate);
    }

    @Override
    public LedgerReceipt deduct(String userId, Credits amount, String reason, UsageDetails usage, Optional<String> idempotencyKey)
            throws SQLException {
        return ledger.deduct(userId, amount, reason, usage, idempotencyKey);
    }
}
