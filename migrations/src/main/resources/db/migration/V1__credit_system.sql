-- The credit system's tables: the seed's five (user_credits, credit_transactions, openrouter_accounts,
-- coupon_codes, usage_events) and what the Kafka design adds (coupon_redemptions, ingest_api_keys,
-- applier_offsets, usage_rollups). Money is NUMERIC(30,9): exact to the nano-credit, like Credits in Java.
-- Every index names the query it serves.

-- ---------------------------------------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE user_credits (
    user_id              TEXT PRIMARY KEY CHECK (length(user_id) BETWEEN 1 AND 255),
    balance              NUMERIC(30,9) NOT NULL DEFAULT 0,
    tier                 TEXT NOT NULL DEFAULT 'free' CHECK (tier ~ '^[a-z][a-z0-9_-]{0,31}$'),
    monthly_cap          NUMERIC(30,9) CHECK (monthly_cap IS NULL OR monthly_cap >= 0),
    -- spend of the calendar month (UTC) named by spend_month; rolled over by the first debit of a new month
    month_to_date_spend  NUMERIC(30,9) NOT NULL DEFAULT 0 CHECK (month_to_date_spend >= 0),
    spend_month          DATE NOT NULL DEFAULT date_trunc('month', now() AT TIME ZONE 'UTC')::date
                         CHECK (spend_month = date_trunc('month', spend_month)::date),
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    -- why authorize denies spend although the account is active; set and cleared by the ledger
    spend_blocked_reason TEXT CHECK (spend_blocked_reason IN ('insufficient_credits', 'monthly_cap_reached')),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- admin: GET /api/v1/admin/users?tier=professional
CREATE INDEX idx_user_credits_tier ON user_credits (tier);
-- admin: accounts that are suspended or closed (few rows, so partial)
CREATE INDEX idx_user_credits_status ON user_credits (status) WHERE status <> 'active';
-- admin / alerts: accounts in debt or below a low-balance threshold, lowest first
CREATE INDEX idx_user_credits_balance ON user_credits (balance);
-- sync jobs and dashboards: accounts changed since a point in time
CREATE INDEX idx_user_credits_updated_at ON user_credits (updated_at);
-- authorize fallback and alerting: accounts whose spend is blocked
CREATE INDEX idx_user_credits_spend_blocked_reason ON user_credits (spend_blocked_reason) WHERE spend_blocked_reason IS NOT NULL;

-- ---------------------------------------------------------------------------------------------------
-- Ledger
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE credit_transactions (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          TEXT NOT NULL REFERENCES user_credits (user_id),
    -- positive credits the account, negative debits it
    amount           NUMERIC(30,9) NOT NULL,
    balance_after    NUMERIC(30,9) NOT NULL,
    transaction_type TEXT NOT NULL CHECK (transaction_type IN
                         ('allocation', 'purchase', 'coupon', 'refund', 'deduction', 'usage', 'adjustment')),
    reason           TEXT CHECK (length(reason) <= 1000),
    provider         TEXT,
    model            TEXT,
    tokens_used      BIGINT CHECK (tokens_used IS NULL OR tokens_used >= 0),
    power_level      TEXT,
    -- a 'usage' row aggregates the usage events of one user in one applier batch; event_count says how many
    event_count      INTEGER NOT NULL DEFAULT 1 CHECK (event_count >= 1),
    idempotency_key  TEXT CHECK (length(idempotency_key) <= 255),
    metadata         JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_by       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT credit_transactions_sign CHECK (
        (transaction_type IN ('allocation', 'purchase', 'coupon', 'refund') AND amount > 0)
        OR (transaction_type IN ('deduction', 'usage') AND amount <= 0)
        OR transaction_type = 'adjustment')
);
-- GET /api/v1/credits/transactions: a user's history, newest first, keyset-paginated on (created_at, id)
CREATE INDEX idx_credit_transactions_user_id_created_at ON credit_transactions (user_id, created_at DESC, id DESC);
-- GET /api/v1/credits/transactions?type=allocation: the same filtered by type
CREATE INDEX idx_credit_transactions_user_id_transaction_type_created_at
    ON credit_transactions (user_id, transaction_type, created_at DESC);
-- admin reports: all allocations / coupons / deductions in a time range
CREATE INDEX idx_credit_transactions_transaction_type_created_at ON credit_transactions (transaction_type, created_at);
-- admin and retention: time-range scans over the whole ledger (append-only, so BRIN stays tiny)
CREATE INDEX idx_credit_transactions_created_at ON credit_transactions USING brin (created_at);
-- POST /api/v1/credits/deduct with Idempotency-Key: a retry finds the first answer instead of charging twice
CREATE UNIQUE INDEX idx_credit_transactions_user_id_idempotency_key
    ON credit_transactions (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- usage analytics by model from the ledger (synchronous deducts carry provider/model)
CREATE INDEX idx_credit_transactions_model_created_at ON credit_transactions (model, created_at) WHERE model IS NOT NULL;

-- ---------------------------------------------------------------------------------------------------
-- OpenRouter accounts (keys are Fernet tokens, as the Python system stored them)
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE openrouter_accounts (
    id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id               TEXT NOT NULL REFERENCES user_credits (user_id),
    openrouter_key_encrypted TEXT NOT NULL,
    key_label             TEXT,
    credit_limit          NUMERIC(30,9) CHECK (credit_limit IS NULL OR credit_limit >= 0),
    provider_reported_usage NUMERIC(30,9) NOT NULL DEFAULT 0 CHECK (provider_reported_usage >= 0),
    status                TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'revoked')),
    last_synced_at        TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- GET /api/v1/openrouter/account: one active account per user
CREATE UNIQUE INDEX idx_openrouter_accounts_user_id ON openrouter_accounts (user_id) WHERE status <> 'revoked';
-- reconciliation job: the active accounts least recently synced first
CREATE INDEX idx_openrouter_accounts_status_last_synced_at ON openrouter_accounts (status, last_synced_at NULLS FIRST);

-- ---------------------------------------------------------------------------------------------------
-- Coupons
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE coupon_codes (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    code           TEXT NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{3,64}$'),
    discount_type  TEXT NOT NULL CHECK (discount_type IN ('fixed', 'percentage')),
    discount_value NUMERIC(30,9) NOT NULL CHECK (discount_value > 0),
    max_uses       INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
    times_used     INTEGER NOT NULL DEFAULT 0 CHECK (times_used >= 0),
    expires_at     TIMESTAMPTZ,
    is_active      BOOLEAN NOT NULL DEFAULT true,
    description    TEXT,
    created_by     TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT coupon_codes_percentage_at_most_100 CHECK (discount_type <> 'percentage' OR discount_value <= 100),
    CONSTRAINT coupon_codes_uses_within_max CHECK (max_uses IS NULL OR times_used <= max_uses)
);
-- POST /api/v1/credits/coupons/redeem {"code": ...}; also the seed's INSERT ... ON CONFLICT (code)
CREATE UNIQUE INDEX idx_coupon_codes_code ON coupon_codes (code);
-- admin: active coupons by expiry, and the expiry sweep
CREATE INDEX idx_coupon_codes_expires_at ON coupon_codes (expires_at) WHERE is_active;

CREATE TABLE coupon_redemptions (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    coupon_id      UUID NOT NULL REFERENCES coupon_codes (id),
    user_id        TEXT NOT NULL REFERENCES user_credits (user_id),
    amount         NUMERIC(30,9) NOT NULL CHECK (amount > 0),
    transaction_id UUID NOT NULL REFERENCES credit_transactions (id),
    redeemed_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- redeem: one redemption per user per coupon, enforced under concurrency
CREATE UNIQUE INDEX idx_coupon_redemptions_coupon_id_user_id ON coupon_redemptions (coupon_id, user_id);
-- a user's redemptions, newest first
CREATE INDEX idx_coupon_redemptions_user_id_redeemed_at ON coupon_redemptions (user_id, redeemed_at DESC);

-- ---------------------------------------------------------------------------------------------------
-- Ingest API keys (only a SHA-256 of the secret is stored)
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE ingest_api_keys (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    key_prefix   TEXT NOT NULL CHECK (length(key_prefix) BETWEEN 8 AND 32),
    key_hash     BYTEA NOT NULL CHECK (length(key_hash) = 32),
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    source       TEXT NOT NULL DEFAULT 'unknown',
    created_by   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
-- every ingest request: find the key by its public prefix, then compare hashes in constant time
CREATE UNIQUE INDEX idx_ingest_api_keys_key_prefix ON ingest_api_keys (key_prefix);
-- admin: list keys that still work
CREATE INDEX idx_ingest_api_keys_created_at ON ingest_api_keys (created_at) WHERE revoked_at IS NULL;

-- ---------------------------------------------------------------------------------------------------
-- Debit applier: Kafka offsets committed in the same transaction as the ledger rows they produced
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE applier_offsets (
    consumer_group TEXT NOT NULL,
    topic          TEXT NOT NULL,
    partition_id   INTEGER NOT NULL CHECK (partition_id >= 0),
    next_offset    BIGINT NOT NULL CHECK (next_offset >= 0),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition_id)
);

-- ---------------------------------------------------------------------------------------------------
-- Usage rollups for dashboards (upserted from usage.rollups; a later record for a window replaces it)
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE usage_rollups (
    user_id             TEXT NOT NULL,
    model               TEXT NOT NULL,
    provider            TEXT NOT NULL,
    granularity         TEXT NOT NULL CHECK (granularity IN ('hour', 'day')),
    window_start        TIMESTAMPTZ NOT NULL,
    window_end          TIMESTAMPTZ NOT NULL,
    requests            BIGINT NOT NULL CHECK (requests >= 0),
    input_tokens        BIGINT NOT NULL CHECK (input_tokens >= 0),
    output_tokens       BIGINT NOT NULL CHECK (output_tokens >= 0),
    cached_input_tokens BIGINT NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
    cost                NUMERIC(30,9) NOT NULL CHECK (cost >= 0),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, model, provider, granularity, window_start),
    CHECK (window_end > window_start)
);
-- dashboards: platform totals per hour/day in a time range
CREATE INDEX idx_usage_rollups_granularity_window_start ON usage_rollups (granularity, window_start);
-- dashboards: spend by model over time
CREATE INDEX idx_usage_rollups_model_granularity_window_start ON usage_rollups (model, granularity, window_start);
-- dashboards: spend by provider over time
CREATE INDEX idx_usage_rollups_provider_granularity_window_start ON usage_rollups (provider, granularity, window_start);
