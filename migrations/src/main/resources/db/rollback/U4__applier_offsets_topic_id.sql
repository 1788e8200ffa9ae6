-- Undoes V4.
ALTER TABLE applier_offsets DROP COLUMN topic_id;
