package io.llmmetering.creditapi.ledger;

/**
 * The SQL of the debit applier. Every statement takes whole arrays ({@code unnest}) so a batch of thousands of
 * debits costs a handful of round trips, and none is built from input.
 */
final class LedgerStatements {

    private LedgerStatements() {
    }

    /** Accounts that do not exist yet are opened at balance 0 (a debit is never refused: the call has happened). */
    static final String OPEN_MISSING_ACCOUNTS = """
            INSERT INTO user_credits (user_id)
            SELECT u FROM unnest(?::text[]) AS u ORDER BY u
            ON CONFLICT (user_id) DO NOTHING
            """;

    /**
     * Records the events; an event already recorded (same event_id and occurred_at) is skipped, and only the
     * rows really inserted come back, so only they are charged.
     */
    static final String RECORD_USAGE_EVENTS = """
            INSERT INTO usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens,
                                      cached_input_tokens, power_level, tier, cost, price_version, source, priced_at)
            SELECT e.event_id, timestamptz 'epoch' + e.occurred_ms * interval '1 millisecond', e.user_id, e.provider, e.model,
                   e.input_tokens, e.output_tokens, e.cached_input_tokens, e.power_level, e.tier,
                   e.cost_nanos * 0.000000001, e.price_version, e.source,
                   timestamptz 'epoch' + e.priced_ms * interval '1 millisecond'
              FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[],
                          ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[])
                   AS e(event_id, occurred_ms, user_id, provider, model, input_tokens, output_tokens, cached_input_tokens,
                        power_level, tier, cost_nanos, price_version, source, priced_ms)
            ON CONFLICT (event_id, occurred_at) DO NOTHING
            RETURNING event_id, (extract(epoch FROM occurred_at) * 1000)::bigint AS occurred_ms
            """;

    /**
     * The hours the batch recorded events in, for the hourly rollups: an hour with a row here is read from
     * usage_events until the rollup job has rolled it up again (UsageRollupJob). About one row a batch.
     */
    static final String MARK_CHANGED_HOURS = """
            INSERT INTO usage_rollup_changes (hour)
            SELECT timestamptz 'epoch' + h * interval '1 millisecond' FROM unnest(?::bigint[]) AS h
            """;

    /**
     * Settles the holds whose request id is one of the events just recorded: each is closed and its amount no
     * longer held. The events' debits charge the real cost; the estimate only ever reserved. The accounts are
     * already locked by this transaction, so this takes no new account lock.
     */
    static final String SETTLE_HOLDS = """
            WITH settled AS (
                UPDATE credit_holds h SET status = 'settled', closed_at = now()
                  FROM unnest(?::text[], ?::text[]) AS e(user_id, event_id)
                 WHERE h.user_id = e.user_id AND h.request_id = e.event_id AND h.status = 'active'
                RETURNING h.user_id, h.amount)
            UPDATE user_credits u SET held = u.held - s.amount
              FROM (SELECT user_id, sum(amount) AS amount FROM settled GROUP BY user_id) s
             WHERE u.user_id = s.user_id
            """;

    /**
     * Row locks in user-id order: every writer of balances takes them in this order, so none deadlocks. A join,
     * not {@code user_id = ANY(?)}: the driver prepares a statement on the server after five uses, and a
     * generic plan made while the accounts table was nearly empty (a new deployment, every account opened by
     * its first debit) scanned it testing ANY element by element, 5,000 x 100,000 comparisons a batch once the
     * table had grown (6 s a batch in an e2e run), until an ANALYZE replaced the plan. The worst plan of the
     * join hashes one side: one pass over the table. Large tables get index lookups.
     */
    static final String LOCK_ACCOUNTS_IN_ORDER = """
            SELECT u.user_id FROM user_credits u JOIN unnest(?::text[]) AS x(user_id) ON u.user_id = x.user_id
             ORDER BY u.user_id FOR UPDATE OF u
            """;


    /**
     * Charges each account its batch total, rolls month-to-date spend over at a new UTC month, marks the account
     * when it can no longer spend (balance at or below zero, or the monthly cap reached), and writes one 'usage'
     * ledger row per user per batch carrying the number of events it sums, with the balance the charge left.
     * One row per event would copy usage_events into the ledger (86 million rows a day at 1,000 events/s) and
     * bury a user's allocations and coupons under it; per-event detail stays in usage_events. Charge and ledger
     * row are one statement, so the new balances go from the update to the ledger inside PostgreSQL instead of
     * through the applier and back.
     */
    static final String CHARGE_ACCOUNTS_AND_WRITE_LEDGER = """
            WITH charged AS (
                UPDATE user_credits u
                   SET balance = u.balance - c.amount,
                       balance_version = u.balance_version + 1,
                       month_to_date_spend = CASE WHEN u.spend_month = c.this_month THEN u.month_to_date_spend ELSE 0 END + c.amount,
                       spend_month = c.this_month,
                       spend_blocked_reason = CASE
                           WHEN u.balance - c.amount <= 0 THEN 'insufficient_credits'
                           WHEN u.monthly_cap IS NOT NULL
                                AND CASE WHEN u.spend_month = c.this_month THEN u.month_to_date_spend ELSE 0 END + c.amount >= u.monthly_cap
                                THEN 'monthly_cap_reached'
                           ELSE NULL END,
                       updated_at = now()
                  FROM (SELECT x.user_id, x.amount_nanos * 0.000000001 AS amount, x.event_count,
                               date_trunc('month', now() AT TIME ZONE 'UTC')::date AS this_month
                          FROM unnest(?::text[], ?::bigint[], ?::int[]) AS x(user_id, amount_nanos, event_count)) c
                 WHERE u.user_id = c.user_id
                RETURNING u.user_id, c.amount, c.event_count, u.balance + c.amount AS balance_before, u.balance AS balance_after,
                          u.month_to_date_spend - c.amount AS mtd_before, u.month_to_date_spend AS mtd_after,
                          u.monthly_cap, u.tier, u.spend_blocked_reason, u.balance_version),
            ledger AS (
                INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, reason, event_count, metadata)
                SELECT user_id, -amount, balance_after, 'usage', 'LLM usage', event_count,
                       jsonb_build_object('source', 'debit-applier', 'batch_id', ?::text)
                  FROM charged)
            SELECT user_id, balance_before, balance_after, mtd_before, mtd_after, monthly_cap, tier, spend_blocked_reason,
                   balance_version
              FROM charged
            """;

    static final String STORE_OFFSETS = """
            INSERT INTO applier_offsets (consumer_group, topic, partition_id, next_offset, topic_id, updated_at)
            SELECT ?, o.topic, o.partition_id, o.next_offset, o.topic_id, now()
              FROM unnest(?::text[], ?::int[], ?::bigint[], ?::text[]) AS o(topic, partition_id, next_offset, topic_id)
            ON CONFLICT (consumer_group, topic, partition_id)
            DO UPDATE SET next_offset = EXCLUDED.next_offset, topic_id = EXCLUDED.topic_id, updated_at = now()
            """;

    static final String READ_OFFSETS = """
            SELECT partition_id, next_offset, topic_id FROM applier_offsets WHERE consumer_group = ? AND topic = ?
            """;
}
