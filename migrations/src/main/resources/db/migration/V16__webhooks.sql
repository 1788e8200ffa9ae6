-- Webhooks: endpoints admins register, and an outbox of deliveries written in the transaction that raised each
-- event (a batch that crossed a low-balance threshold, a hold that expired), sent at least once from here by the
-- dispatcher, retried with growing pauses, and kept as the delivery log.
CREATE TABLE webhook_endpoints (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    url         TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    event_types TEXT[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 20),
    -- Standard Webhooks signing secret (whsec_...): the sender needs it in clear to sign; shown to the admin once
    secret      TEXT NOT NULL,
    description TEXT CHECK (length(description) <= 500),
    enabled     BOOLEAN NOT NULL DEFAULT true,
    created_by  TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- the webhook-id header: one per event, the same at every endpoint and on every attempt (receivers dedupe on it)
    message_id       TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    -- the exact bytes signed and sent (text, not jsonb, which would reorder them)
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- while 'sending': the sender's lease; a delivery whose lease ran out (its process died) is attempted again
    claimed_until    TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    last_status_code INTEGER,
    last_error       TEXT,
    last_response    TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at     TIMESTAMPTZ
);
-- dispatcher: the deliveries due or in flight (delivered and failed ones leave this index)
CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status IN ('pending', 'sending');
-- admin: an endpoint's delivery log, newest first
CREATE INDEX idx_webhook_deliveries_endpoint_id_id ON webhook_deliveries (endpoint_id, id DESC);
