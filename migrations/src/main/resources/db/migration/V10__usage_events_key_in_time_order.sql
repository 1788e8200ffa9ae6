-- usage_events' primary key leads with occurred_at: the same unique (event_id, occurred_at) that makes a replayed
-- event count once, but events arrive in about the order they happen, so each batch's keys land on the last few
-- leaves of the index instead of one random leaf per event (event ids are random: a page read, dirtied and,
-- after every checkpoint, written whole to the WAL per event, once the index outgrew shared_buffers). No query
-- looks events up by event_id alone. The key also serves every time-range scan, so the BRIN index goes.
ALTER TABLE usage_events DROP CONSTRAINT usage_events_pkey;
ALTER TABLE usage_events ADD CONSTRAINT usage_events_pkey PRIMARY KEY (occurred_at, event_id);
DROP INDEX idx_usage_events_occurred_at;
