-- Undoes V14: charges are again unique on (occurred_at, event_id) only; the archive keeps every dead letter.
DROP INDEX idx_dead_letters_archived_at;
DROP TABLE usage_event_claims;
