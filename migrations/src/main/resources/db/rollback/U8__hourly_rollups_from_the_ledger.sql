-- Undoes V8: back to rollups without change tracking. Daily rollups V8 deleted are not rebuilt: analytics of
-- V7's code read days from usage_events where no rollup exists.
DROP TABLE usage_rollup_hours;
DROP TABLE usage_rollup_changes;
