package io.llmmetering.creditapi.accounts;

/**
 * What a user may still spend, as SQL: the one definition that deduct, holds and authorize share, so credits
 * reserved for calls in flight cannot be spent twice. Written for an account row aliased {@code u} and the
 * current UTC month as {@code m.this_month}.
 */
public final class SpendRule {

    private SpendRule() {
    }

    /** The balance less active holds. */
    public static final String AVAILABLE = "u.balance - u.held";

    /** The UTC month whose spend {@code month_to_date_spend} counts, and by which usage events are partitioned. */
    public static final String CURRENT_MONTH = "date_trunc('month', now() AT TIME ZONE 'UTC')::date";

    /** This month's spend: the stored spend is of an earlier month until the first spend of this one. */
    public static final String SPENT_THIS_MONTH = spentIn("u", "m.this_month");

    /** This month's spend plus active holds: what the monthly cap is measured against. */
    public static final String COMMITTED_THIS_MONTH = SPENT_THIS_MONTH + " + u.held";

    /** True when the account may spend the amount bound to both parameters. */
    public static final String MAY_SPEND = "u.status = 'active' AND " + AVAILABLE + " >= ?"
            + " AND (u.monthly_cap IS NULL OR " + COMMITTED_THIS_MONTH + " + ? <= u.monthly_cap)";

    /** The columns {@link SpendableAccount#read} reads, in its order. */
    public static final String SPENDABLE_ACCOUNT = "u.balance, u.held, u.status, u.monthly_cap, " + SPENT_THIS_MONTH + ", u.balance_version";

    public static final String THIS_MONTH = "SELECT " + CURRENT_MONTH + " AS this_month";

    /**
     * What the account aliased {@code account} has spent in {@code month}: the month-to-date rollover. The stored
     * spend belongs to {@code spend_month}; an earlier month's spend counts as zero.
     */
    public static String spentIn(String account, String month) {
        return "CASE WHEN " + account + ".spend_month = " + month + " THEN " + account + ".month_to_date_spend ELSE 0 END";
    }

    /**
     * Why an account may not spend, for {@code spend_blocked_reason}: at or below zero it has no credits, at its
     * cap it has spent its month. Every statement that changes a balance, a month's spend or a cap sets the column
     * with this rule, from the values after its change.
     */
    public static String blockedReason(String balanceAfter, String spentThisMonthAfter, String monthlyCap) {
        return "CASE WHEN (" + balanceAfter + ") <= 0 THEN 'insufficient_credits'"
                + " WHEN " + monthlyCap + " IS NOT NULL AND (" + spentThisMonthAfter + ") >= " + monthlyCap + " THEN 'monthly_cap_reached'"
                + " ELSE NULL END";
    }

    /**
     * The assignments of an UPDATE of account {@code u} that charges {@code amount} in {@code month}: balance,
     * version, the month's spend with its rollover, and the blocked reason after the charge.
     */
    public static String charge(String amount, String month) {
        String spentAfter = spentIn("u", month) + " + " + amount;
        return """
                balance = u.balance - %1$s,
                balance_version = u.balance_version + 1,
                month_to_date_spend = %2$s,
                spend_month = %3$s,
                spend_blocked_reason = %4$s""".formatted(amount, spentAfter, month, blockedReason("u.balance - " + amount, spentAfter, "u.monthly_cap"));
    }
}
