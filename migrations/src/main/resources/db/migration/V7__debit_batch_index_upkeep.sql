-- Index upkeep on the debit applier's path, measured with EXPLAIN (ANALYZE, WAL) on a batch of 5,000 debits over
-- 100,000 accounts (BENCHMARKS.md, ledger throughput). Every index below paid for each debit and served no query.

-- A partial index on balance makes balance a "HOT-blocking" column: PostgreSQL may not update a row in place
-- when a column in an index predicate changes, so V3's HOT updates had stopped happening (0 of 102,330 in the
-- benchmark) and every charge wrote a new entry into every index of user_credits: 163 ms a batch, 49 ms HOT.
-- Accounts in debt are found through idx_user_credits_spend_blocked_reason: the ledger marks every account at or
-- below zero 'insufficient_credits' in the same statement that charges it.
DROP INDEX idx_user_credits_balance;

-- Per-model, per-provider and per-price-version analytics read usage_rollups (indexed on exactly that); no
-- query of the product reads usage_events by these columns, and three more index entries per event cost a
-- third of the events' insert. Per-user reads keep (user_id, occurred_at), time scans the BRIN index.
DROP INDEX idx_usage_events_model_occurred_at;
DROP INDEX idx_usage_events_provider_occurred_at;
DROP INDEX idx_usage_events_price_version;

-- The type-filtered indexes serve the rare types (allocations, purchases, coupons, refunds, deductions): a
-- user's top-ups, the history filtered by type, admin reports. 'usage' rows are nearly all the ledger; a
-- history filtered to them reads idx_credit_transactions_user_id_created_at, where almost every row matches.
DROP INDEX idx_credit_transactions_user_id_transaction_type_created_at;
CREATE INDEX idx_credit_transactions_user_id_transaction_type_created_at
    ON credit_transactions (user_id, transaction_type, created_at DESC) WHERE transaction_type <> 'usage';
DROP INDEX idx_credit_transactions_transaction_type_created_at;
CREATE INDEX idx_credit_transactions_transaction_type_created_at
    ON credit_transactions (transaction_type, created_at) WHERE transaction_type <> 'usage';
