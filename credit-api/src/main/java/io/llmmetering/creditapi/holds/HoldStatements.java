package io.llmmetering.creditapi.holds;

import io.llmmetering.creditapi.accounts.SpendRule;

/**
 * The SQL of spend holds. Every statement that changes a hold first holds (or takes) the lock on its account
 * row, the same order the debit applier uses (accounts, then holds), so holds, voids, the expiry sweep and
 * the applier's settlement never deadlock.
 */
final class HoldStatements {

    private HoldStatements() {
    }

    static final String OPEN_ACCOUNT = "INSERT INTO user_credits (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING";

    static final String FIND_BY_REQUEST = """
            SELECT id, amount, status, expires_at FROM credit_holds WHERE user_id = ? AND request_id = ?
            """;

    /**
     * Reserves the estimate if what the account may still spend covers it: balance minus active holds, and
     * this month's spend plus active holds within the cap. Check and reservation are one UPDATE, so they
     * cannot be separated by a concurrent hold on any instance.
     */
    static final String RESERVE = """
            WITH m AS (%s)
            UPDATE user_credits u SET held = u.held + ?
              FROM m
             WHERE u.user_id = ? AND %s
            RETURNING %s
            """.formatted(SpendRule.THIS_MONTH, SpendRule.MAY_SPEND, SpendRule.AVAILABLE);

    /**
     * The usual hold in one statement (and so one transaction): reserve and record it when the account exists,
     * may spend the estimate and has no hold for this request yet. No row means one of those is not so, and the
     * caller takes the long way that tells which. Two requests with one id racing here both pass NOT EXISTS; the
     * unique key refuses the second's insert, which undoes its reservation with it.
     */
    static final String RESERVE_AND_RECORD = """
            WITH m AS (%s),
            reserved AS (
                UPDATE user_credits u SET held = u.held + ?
                  FROM m
                 WHERE u.user_id = ? AND %s
                   AND NOT EXISTS (SELECT 1 FROM credit_holds h WHERE h.user_id = u.user_id AND h.request_id = ?)
                RETURNING u.user_id, %s AS available),
            recorded AS (
                INSERT INTO credit_holds (user_id, request_id, amount, created_by, expires_at)
                SELECT user_id, ?, ?, ?, now() + make_interval(secs => ?) FROM reserved
                RETURNING id, expires_at)
            SELECT recorded.id, recorded.expires_at, reserved.available FROM recorded, reserved
            """.formatted(SpendRule.THIS_MONTH, SpendRule.MAY_SPEND, SpendRule.AVAILABLE);

    static final String RECORD_HOLD = """
            INSERT INTO credit_holds (user_id, request_id, amount, created_by, expires_at)
            VALUES (?, ?, ?, ?, now() + make_interval(secs => ?))
            RETURNING id, expires_at
            """;

    /** What the account may spend now, and why not if it may not: the read-only authorization check. */
    static final String SPENDABLE = """
            WITH m AS (%s)
            SELECT %s FROM user_credits u, m WHERE u.user_id = ?
            """.formatted(SpendRule.THIS_MONTH, SpendRule.SPENDABLE_ACCOUNT);

    static final String HOLDER_OF_HOLD = "SELECT user_id, created_by FROM credit_holds WHERE id = ?";

    static final String LOCK_ACCOUNT = "SELECT 1 FROM user_credits WHERE user_id = ? FOR UPDATE";

    static final String VOID_HOLD = """
            WITH voided AS (
                UPDATE credit_holds SET status = 'voided', closed_at = now() WHERE id = ? AND status = 'active'
                RETURNING user_id, amount)
            UPDATE user_credits u SET held = u.held - v.amount FROM voided v WHERE u.user_id = v.user_id
            RETURNING u.balance - u.held
            """;

    static final String STATUS_OF_HOLD = "SELECT status FROM credit_holds WHERE id = ?";

    static final String DUE_HOLDS = """
            SELECT id, user_id FROM credit_holds WHERE status = 'active' AND expires_at <= now() ORDER BY expires_at LIMIT ?
            """;

    static final String LOCK_ACCOUNTS_IN_ORDER = "SELECT user_id FROM user_credits WHERE user_id = ANY(?::text[]) ORDER BY user_id FOR UPDATE";

    /** Expires the holds named, releases what they reserved, and answers each hold expired (for its webhook event). */
    static final String EXPIRE_HOLDS = """
            WITH expired AS (
                UPDATE credit_holds SET status = 'expired', closed_at = now()
                 WHERE id = ANY(?::uuid[]) AND status = 'active' AND expires_at <= now()
                RETURNING id, user_id, request_id, amount, expires_at),
            released AS (
                UPDATE user_credits u SET held = u.held - e.amount
                  FROM (SELECT user_id, sum(amount) AS amount FROM expired GROUP BY user_id) e
                 WHERE u.user_id = e.user_id
                RETURNING 1)
            SELECT id, user_id, request_id, amount, expires_at FROM expired
            """;
}
