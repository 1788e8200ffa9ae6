package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;

/**
 * What one batch did to one account: charged {@code charged} for {@code events} newly recorded events.
 *
 * @param monthlyCap     null when the account has no cap
 * @param balanceVersion the account's balance version after this change (orders cache writes)
 */
record BalanceChange(String userId, Credits charged, int events, Credits balanceBefore, Credits balanceAfter,
                            Credits monthToDateBefore, Credits monthToDateAfter, Credits monthlyCap, String tier,
                            String spendBlockedReason, long balanceVersion) {

    public boolean capReachedNow() {
        return monthlyCap != null && monthToDateBefore.compareTo(monthlyCap) < 0 && monthToDateAfter.compareTo(monthlyCap) >= 0;
    }

    public boolean crossedBelow(Credits threshold) {
        return balanceBefore.compareTo(threshold) >= 0 && balanceAfter.compareTo(threshold) < 0;
    }
}
