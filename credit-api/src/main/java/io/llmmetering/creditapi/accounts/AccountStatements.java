package io.llmmetering.creditapi.accounts;

/**
 * The SQL of the synchronous account operations. A balance change locks the account row with its UPDATE, so
 * concurrent deducts, allocations, coupon redemptions and the debit applier's batches serialize on it; each
 * touches one account, so lock order cannot deadlock with the applier's user-id ordered batches.
 */
final class AccountStatements {

    private AccountStatements() {
    }

    static final String OPEN_ACCOUNT = "INSERT INTO user_credits (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING";

    static final String READ_ACCOUNT = """
            SELECT u.balance, u.tier, u.monthly_cap, %s, u.status, u.spend_blocked_reason, u.held, u.balance_version
              FROM user_credits u WHERE u.user_id = ?
            """.formatted(SpendRule.spentIn("u", SpendRule.CURRENT_MONTH));

    /** The answer given the first time an idempotency key was used for this kind of transaction, replayed for a retry. */
    static final String FIND_BY_IDEMPOTENCY_KEY = """
            SELECT id, amount, balance_after, transaction_type FROM credit_transactions
             WHERE user_id = ? AND transaction_type = ? AND idempotency_key = ?
            """;

    /** A credit of the amount bound first; a balance back above zero lifts a block for lack of credits. */
    static final String CREDIT_ACCOUNT = changeBalance("");

    /**
     * A change of either sign by an admin (a refund, an adjustment): a decrease may not leave less than active
     * holds reserve, and then changes no row.
     */
    static final String CHANGE_BALANCE_ABOVE_HOLDS = changeBalance(" AND (m.amount > 0 OR u.balance + m.amount >= u.held)");

    private static String changeBalance(String condition) {
        return """
                WITH m AS (SELECT %s AS this_month, ?::numeric AS amount)
                UPDATE user_credits u
                   SET balance = u.balance + m.amount,
                       balance_version = u.balance_version + 1,
                       spend_blocked_reason = %s,
                       updated_at = now()
                  FROM m
                 WHERE u.user_id = ?%s
                RETURNING u.balance, u.balance_version
                """.formatted(SpendRule.CURRENT_MONTH, SpendRule.blockedReason("u.balance + m.amount", SpendRule.SPENT_THIS_MONTH, "u.monthly_cap"),
                condition);
    }

    /** Who bought credits with a payment: its reference is one purchase's, whichever account it went to. */
    static final String PURCHASE_BY_REFERENCE = """
            SELECT user_id, amount FROM credit_transactions WHERE transaction_type = 'purchase' AND idempotency_key = ?
            """;

    /** The purchase a refund returns, locked so that concurrent refunds of it are judged one after the other. */
    static final String LOCK_PURCHASE = """
            SELECT id, amount FROM credit_transactions
             WHERE user_id = ? AND transaction_type = 'purchase' AND idempotency_key = ?
               FOR UPDATE
            """;

    /** What refunds have returned of one purchase so far (refund rows are negative). */
    static final String REFUNDED_OF_PURCHASE = """
            SELECT coalesce(-sum(amount), 0) FROM credit_transactions
             WHERE user_id = ? AND transaction_type = 'refund' AND metadata ->> 'purchase_id' = ?
            """;

    static final String BALANCE_AND_HELD = "SELECT balance, held FROM user_credits WHERE user_id = ?";

    /**
     * A debit that may not spend what active holds reserve, exceed the monthly cap (holds included) or spend from
     * a suspended account: the conditions are in the WHERE clause, so checking and charging are one atomic step
     * and no row comes back when refused. Binds the amount, the user, then the amount twice for the rule.
     */
    static final String DEBIT_ACCOUNT = """
            WITH m AS (SELECT %s AS this_month, ?::numeric AS amount)
            UPDATE user_credits u
               SET %s,
                   updated_at = now()
              FROM m
             WHERE u.user_id = ? AND %s
            RETURNING u.balance, u.balance_version
            """.formatted(SpendRule.CURRENT_MONTH, SpendRule.charge("m.amount", "m.this_month"), SpendRule.MAY_SPEND);

    /** The account as the spend rule judges it, for the reason of a refusal. */
    static final String SPENDABLE_ACCOUNT = """
            WITH m AS (%s)
            SELECT %s FROM user_credits u, m WHERE u.user_id = ?
            """.formatted(SpendRule.THIS_MONTH, SpendRule.SPENDABLE_ACCOUNT);

    static final String RECORD_TRANSACTION = """
            INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, reason, provider, model, tokens_used,
                                             power_level, idempotency_key, metadata, created_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)
            RETURNING id
            """;

    /** Takes one use of a coupon if it can still be used; the row lock serializes concurrent redemptions. */
    static final String TAKE_COUPON_USE = """
            UPDATE coupon_codes SET times_used = times_used + 1
             WHERE code = ? AND is_active AND (expires_at IS NULL OR expires_at > now())
               AND (max_uses IS NULL OR times_used < max_uses)
            RETURNING id, discount_type, discount_value
            """;

    static final String READ_COUPON_STATE = "SELECT is_active, expires_at <= now(), max_uses IS NOT NULL AND times_used >= max_uses FROM coupon_codes WHERE code = ?";

    static final String FIND_REDEMPTION = "SELECT 1 FROM coupon_redemptions WHERE coupon_id = ? AND user_id = ?";

    /** A percentage coupon is a bonus on the account's latest top-up. */
    static final String LATEST_TOP_UP = """
            SELECT amount FROM credit_transactions
             WHERE user_id = ? AND transaction_type IN ('allocation', 'purchase')
             ORDER BY created_at DESC, id DESC LIMIT 1
            """;

    static final String RECORD_REDEMPTION = """
            INSERT INTO coupon_redemptions (coupon_id, user_id, amount, transaction_id) VALUES (?, ?, ?, ?)
            """;

    /** Newest first, keyset-paginated on (created_at, id), optionally of one type and within [from, to). */
    static final String PAGE_OF_TRANSACTIONS = """
            SELECT id, amount, balance_after, transaction_type, reason, provider, model, tokens_used, power_level, event_count,
                   metadata::text, created_at
              FROM credit_transactions
             WHERE user_id = ? AND created_at >= ? AND created_at < ? AND (created_at, id) < (?, ?)
             ORDER BY created_at DESC, id DESC
             LIMIT ?
            """;

    static final String PAGE_OF_TRANSACTIONS_OF_TYPE = """
            SELECT id, amount, balance_after, transaction_type, reason, provider, model, tokens_used, power_level, event_count,
                   metadata::text, created_at
              FROM credit_transactions
             WHERE user_id = ? AND transaction_type = ? AND created_at >= ? AND created_at < ? AND (created_at, id) < (?, ?)
             ORDER BY created_at DESC, id DESC
             LIMIT ?
            """;

    static final String SET_TIER = """
            UPDATE user_credits SET tier = ?, updated_at = now() WHERE user_id = ?
            RETURNING tier, monthly_cap, status
            """;

    /** A new cap; a cap-reached block is set or lifted at once by comparing this month's spend with it. */
    static final String SET_MONTHLY_CAP = """
            WITH m AS (SELECT %s AS this_month, ?::numeric AS cap)
            UPDATE user_credits u
               SET monthly_cap = m.cap,
                   spend_blocked_reason = %s,
                   updated_at = now()
              FROM m
             WHERE u.user_id = ?
            RETURNING u.tier, u.monthly_cap, u.status
            """.formatted(SpendRule.CURRENT_MONTH, SpendRule.blockedReason("u.balance", SpendRule.SPENT_THIS_MONTH, "m.cap"));

    static final String SET_STATUS = """
            UPDATE user_credits SET status = ?, updated_at = now() WHERE user_id = ?
            RETURNING tier, monthly_cap, status
            """;
}
