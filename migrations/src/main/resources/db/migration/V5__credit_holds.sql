-- Spend holds: a proxy reserves a call's estimated cost before making it, and the usage event with the same
-- request id settles the hold when its debit is applied. PostgreSQL alone is the mechanism: the account row
-- lock that already serializes every balance change makes "balance - held >= estimate" and the reservation
-- one atomic step across any number of API instances, and a hold survives any restart.

-- the sum of the account's active holds, kept in the same row as the balance it is checked against
ALTER TABLE user_credits ADD COLUMN held NUMERIC(30,9) NOT NULL DEFAULT 0 CHECK (held >= 0);

CREATE TABLE credit_holds (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     TEXT NOT NULL REFERENCES user_credits (user_id),
    -- the proxy's request id; the usage event whose event_id equals it settles the hold
    request_id  TEXT NOT NULL CHECK (length(request_id) BETWEEN 1 AND 255),
    amount      NUMERIC(30,9) NOT NULL CHECK (amount > 0),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'settled', 'voided', 'expired')),
    created_by  TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ,
    CHECK (expires_at > created_at),
    CHECK ((status = 'active') = (closed_at IS NULL))
);
-- POST /api/v1/credits/holds with a request id seen before answers the same hold; the applier settles by it
CREATE UNIQUE INDEX idx_credit_holds_user_id_request_id ON credit_holds (user_id, request_id);
-- the expiry sweep: active holds past their expiry, oldest first (only active rows are indexed)
CREATE INDEX idx_credit_holds_expires_at ON credit_holds (expires_at) WHERE status = 'active';

-- usage analytics across all users (admin top spenders, platform timeseries): the recent and partial hours of
-- a range come from usage_events by time alone; events arrive roughly in time order, so BRIN stays tiny
CREATE INDEX idx_usage_events_occurred_at ON usage_events USING brin (occurred_at);
