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

    /** This month's spend: the stored spend is of an earlier month until the first spend of this one. */
    public static final String SPENT_THIS_MONTH = "CASE WHEN u.spend_month = m.this_month THEN u.month_to_date_spend ELSE 0 END";

    /** This month's spend plus active holds: what the monthly cap is measured against. */
    public static final String COMMITTED_THIS_MONTH = SPENT_THIS_MONTH + " + u.held";

    /** True when the account may spend the amount bound to both parameters. */
    public static final String MAY_SPEND = "u.status = 'active' AND " + AVAILABLE + " >= ?"
            + " AND (u.monthly_cap IS NULL OR " + COMMITTED_THIS_MONTH + " + ? <= u.monthly_cap)";

    /** The columns {@link SpendableAccount#read} reads, in its order. */
    public static final String SPENDABLE_ACCOUNT = "u.balance, u.held, u.status, u.monthly_cap, " + SPENT_THIS_MONTH + ", u.balance_version";

    public static final String THIS_MONTH = "SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS this_month";
}
