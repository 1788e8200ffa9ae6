-- Undoes V5: active holds are released (their reservations vanish with the table and the column).
DROP INDEX idx_usage_events_occurred_at;
DROP TABLE credit_holds;
ALTER TABLE user_credits DROP COLUMN held;
