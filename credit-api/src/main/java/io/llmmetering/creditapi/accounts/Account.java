package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;

import java.util.Optional;

/**
 * An account as the API shows it. An account that was never written to is the default one: balance 0, free tier.
 *
 * @param spendBlockedReason why spending is refused although the account is active (set by the ledger)
 * @param held               reserved by active holds for calls in flight
 * @param available          what the account may still spend: the ledger's balance less {@code held}, the one
 *                           definition deduct, holds and authorize use ({@link SpendRule#AVAILABLE})
 */
public record Account(String userId, Credits balance, String tier, Optional<Credits> monthlyCap, Credits monthToDateSpend,
                      String status, Optional<String> spendBlockedReason, Credits held, Credits available) {

    public static Account fresh(String userId) {
        return new Account(userId, Credits.ZERO, "free", Optional.empty(), Credits.ZERO, "active", Optional.empty(), Credits.ZERO, Credits.ZERO);
    }
}
