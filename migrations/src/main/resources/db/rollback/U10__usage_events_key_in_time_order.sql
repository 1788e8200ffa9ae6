-- Undoes V10: the primary key back in (event_id, occurred_at) order, and the BRIN index it had replaced.
ALTER TABLE usage_events DROP CONSTRAINT usage_events_pkey;
ALTER TABLE usage_events ADD CONSTRAINT usage_events_pkey PRIMARY KEY (event_id, occurred_at);
CREATE INDEX idx_usage_events_occurred_at ON usage_events USING brin (occurred_at);
