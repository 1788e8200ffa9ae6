package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;

import java.util.Optional;

/**
 * An account as the API shows it. An account that was never written to is the default one: balance 0, free tier.
 *
 * @param spendBlockedReason why spending is refused although the account is active (set by the ledger)
 */
public record Account(String userId, Credits balance, String tier, Optional<Credits> monthlyCap, Credits monthToDateSpend,
                      String status, Optional<String> spendBlockedReason) {

    public static Account fresh(String userId) {
        return new Account(userId, Credits.ZERO, "free", Optional.empty(), Credits.ZERO, "active", Optional.empty());
    }
}
