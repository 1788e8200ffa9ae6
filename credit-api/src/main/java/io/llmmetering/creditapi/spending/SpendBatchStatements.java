package io.llmmetering.creditapi.spending;

import io.llmmetering.creditapi.accounts.SpendRule;

/**
 * The SQL of a batch: lock and read, then one statement that writes everything. The batch locks its accounts in
 * user-id order first, as the debit applier and the hold expiry do, so batches of several processes, the applier and
 * the sweep never deadlock, and every hold or deduct key it reads afterwards cannot change before it commits (each
 * writer of one takes its account's lock first).
 */
final class SpendBatchStatements {

    private SpendBatchStatements() {
    }

    /**
     * The planner settings of the connections batches run on (their own pool). Every statement of a batch touches
     * rows by key, so a plan that scans a table or hashes a join is always the wrong one; it is also the plan a
     * generic plan made while the tables looked empty (a new deployment, a new benchmark database) would keep:
     * auto_explain showed the holds read as a hash join over credit_holds, frozen while the table was empty, at 5 ms
     * a batch at 7,000 holds and growing (BatchApplierTest tells the same story of the applier). And each statement
     * is planned once: left to choose, PostgreSQL planned every execution anew (a parameter array is estimated at
     * 10 elements, so each custom plan for the 1-20 a batch carries looked cheaper than the generic one), 0.2-0.4 ms
     * a statement, most of a small batch's cost (pg_prepared_statements: 0 generic plans, 8 custom ones).
     */
    static final String KEY_LOOKUPS_ONLY = "SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off;"
            + " SET plan_cache_mode = force_generic_plan";

    /*
     * The reads find every row through a LATERAL subquery on a unique key (its LIMIT 1 keeps the planner from
     * flattening it into a join): a parameterized index lookup whatever the planner believes of the table's size. A join of the batch's arrays with a table, or {@code = ANY(array)},
     * let a generic plan made while the table was nearly empty (a new deployment, a new benchmark database) read the
     * whole table for every batch ever after: seen here as 5 ms a batch at 7,000 holds and growing (auto_explain),
     * and BatchApplierTest tells the same story of the applier. SpendBatcherTest checks the plans.
     */

    /** The batch's accounts, locked in the order the debit applier locks them (user_id, bytewise), as the spend rule judges them. */
    static final String LOCK_ACCOUNTS = """
            WITH m AS (%s)
            SELECT u.user_id, %s
              FROM (SELECT DISTINCT user_id COLLATE "C" AS user_id FROM unnest(?::text[]) AS k(user_id) ORDER BY 1) k,
                   LATERAL (SELECT * FROM user_credits a WHERE a.user_id = k.user_id FOR UPDATE) u, m
            """.formatted(SpendRule.THIS_MONTH, SpendRule.SPENDABLE_ACCOUNT);

    /** The accounts of a batch of authorization checks, without locks. */
    static final String READ_ACCOUNTS = """
            WITH m AS (%s)
            SELECT k.user_id, %s
              FROM unnest(?::text[]) AS k(user_id), LATERAL (SELECT * FROM user_credits a WHERE a.user_id = k.user_id LIMIT 1) u, m
            """.formatted(SpendRule.THIS_MONTH, SpendRule.SPENDABLE_ACCOUNT);

    /** The holds the batch voids (by id) and those already placed under its holds' request ids. */
    static final String HOLDS = """
            SELECT h.id, h.user_id, h.request_id, h.amount, h.status, h.expires_at
              FROM unnest(?::uuid[]) AS v(id), LATERAL (SELECT * FROM credit_holds c WHERE c.id = v.id LIMIT 1) h
            UNION
            SELECT h.id, h.user_id, h.request_id, h.amount, h.status, h.expires_at
              FROM unnest(?::text[], ?::text[]) AS r(user_id, request_id),
                   LATERAL (SELECT * FROM credit_holds c WHERE c.user_id = r.user_id AND c.request_id = r.request_id LIMIT 1) h
            """;

    /** Deductions booked before under the batch's idempotency keys. */
    static final String EARLIER_DEDUCTS = """
            SELECT k.user_id, k.idempotency_key, t.id, t.amount, t.balance_after
              FROM unnest(?::text[], ?::text[]) AS k(user_id, idempotency_key),
                   LATERAL (SELECT * FROM credit_transactions c
                             WHERE c.user_id = k.user_id AND c.transaction_type = 'deduction' AND c.idempotency_key = k.idempotency_key
                             LIMIT 1) t
            """;

    /**
     * Everything the batch decided, in one statement: the accounts' changes (by difference, under the locks), the
     * new holds, the voided ones and the deductions' ledger rows (stamped with the clock so a user's rows of one
     * batch list in the order they were judged). It answers the accounts as changed, the new holds' expiry, and
     * how many holds were voided and what the ledger rows add up to, which the batch checks against what it
     * decided before it commits. Its updates join the batch's arrays to the tables: {@link #KEY_LOOKUPS_ONLY} makes
     * those joins index lookups under any plan.
     */
    static final String WRITE = """
            WITH m AS (%s),
            changed AS (
                UPDATE user_credits u
                   SET held = u.held + c.held_change,
                       balance = u.balance - c.spent,
                       balance_version = u.balance_version + c.versions,
                       month_to_date_spend = CASE WHEN c.spent = 0 THEN u.month_to_date_spend ELSE %s + c.spent END,
                       spend_month = CASE WHEN c.spent = 0 THEN u.spend_month ELSE m.this_month END,
                       spend_blocked_reason = CASE WHEN c.spent = 0 THEN u.spend_blocked_reason ELSE %s END,
                       updated_at = now()
                  FROM unnest(?::text[], ?::numeric[], ?::numeric[], ?::int[]) AS c(user_id, held_change, spent, versions), m
                 WHERE u.user_id = c.user_id
                RETURNING u.user_id, u.balance, u.held, u.balance_version),
            placed AS (
                INSERT INTO credit_holds (id, user_id, request_id, amount, created_by, expires_at)
                SELECT p.id, p.user_id, p.request_id, p.amount, p.created_by, now() + make_interval(secs => p.ttl)
                  FROM unnest(?::uuid[], ?::text[], ?::text[], ?::numeric[], ?::text[], ?::float8[])
                       AS p(id, user_id, request_id, amount, created_by, ttl)
                RETURNING id, expires_at),
            voided AS (
                UPDATE credit_holds h SET status = 'voided', closed_at = now()
                  FROM unnest(?::uuid[]) AS v(id)
                 WHERE h.id = v.id AND h.status = 'active'
                RETURNING h.id),
            deducted AS (
                INSERT INTO credit_transactions (id, user_id, amount, balance_after, transaction_type, reason, provider, model, tokens_used,
                                                 power_level, idempotency_key, metadata, created_by, created_at)
                SELECT d.id, d.user_id, d.amount, d.balance_after, 'deduction', d.reason, d.provider, d.model, d.tokens_used,
                       d.power_level, d.idempotency_key, d.metadata::jsonb, d.user_id, clock_timestamp()
                  FROM unnest(?::uuid[], ?::text[], ?::numeric[], ?::numeric[], ?::text[], ?::text[], ?::text[], ?::int8[], ?::text[],
                              ?::text[], ?::text[])
                       AS d(id, user_id, amount, balance_after, reason, provider, model, tokens_used, power_level, idempotency_key, metadata)
                RETURNING amount)
            SELECT 'account', user_id, NULL::uuid, NULL::timestamptz, balance, held, balance_version FROM changed
            UNION ALL
            SELECT 'hold', NULL, id, expires_at, NULL, NULL, NULL FROM placed
            UNION ALL
            SELECT 'totals', NULL, NULL, NULL, (SELECT count(*) FROM voided), (SELECT coalesce(sum(amount), 0) FROM deducted), NULL
            """.formatted(SpendRule.THIS_MONTH, SpendRule.SPENT_THIS_MONTH,
            SpendRule.blockedReason("u.balance - c.spent", SpendRule.SPENT_THIS_MONTH + " + c.spent", "u.monthly_cap"));
}
