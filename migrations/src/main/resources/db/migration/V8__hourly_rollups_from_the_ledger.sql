-- Hourly rollups are computed in PostgreSQL from usage_events once an hour has settled, instead of being
-- published by the topology per event (which cost two state store writes, two changelog records and about 1.75
-- usage.rollups records and rollup upserts per event, and lost every event later than its window's grace).
-- Daily figures are summed from the hourly rows at query time; the daily rows are no longer written.

-- Hours whose events changed since their rollup: the debit applier inserts one row per hour its batch recorded
-- events in, in the batch's own transaction (about one row per batch of thousands of events). The rollup job
-- deletes the rows its snapshot saw, so a row left here means that hour has events its rollup does not hold.
CREATE TABLE usage_rollup_changes (
    hour        TIMESTAMPTZ NOT NULL CHECK (hour = date_trunc('hour', hour, 'UTC')),
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- rollup job: the hours to roll up, oldest first; analytics: is an hour clean
CREATE INDEX idx_usage_rollup_changes_hour ON usage_rollup_changes (hour);

-- Hours whose rollup rows in usage_rollups are complete as of rolled_up_at. An hour is served from its rollups
-- only while it is here and has no row in usage_rollup_changes; otherwise from usage_events.
CREATE TABLE usage_rollup_hours (
    hour         TIMESTAMPTZ PRIMARY KEY CHECK (hour = date_trunc('hour', hour, 'UTC')),
    events       BIGINT NOT NULL CHECK (events >= 0),
    rolled_up_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

DELETE FROM usage_rollups WHERE granularity = 'day';

-- Every hour that has events is rolled up again from the ledger, so events the topology's rollups missed (later
-- than their grace period) count from now on.
INSERT INTO usage_rollup_changes (hour)
SELECT DISTINCT date_trunc('hour', occurred_at, 'UTC') FROM usage_events;
