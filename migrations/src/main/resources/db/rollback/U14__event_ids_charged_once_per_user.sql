-- Undoes V14: charges are again unique on (occurred_at, event_id) only; the archive keeps every dead letter.
DROP INDEX idx_dead_letters_archived_at;
-- rows of a recreated topic that share coordinates with older ones keep the newest
DELETE FROM dead_letters d USING dead_letters newer
 WHERE d.topic = newer.topic AND d.kafka_partition = newer.kafka_partition AND d.kafka_offset = newer.kafka_offset AND d.id < newer.id;
ALTER TABLE dead_letters DROP CONSTRAINT uq_dead_letters_topic_id_partition_offset;
ALTER TABLE dead_letters DROP COLUMN topic_id;
ALTER TABLE dead_letters ADD CONSTRAINT uq_dead_letters_topic_partition_offset UNIQUE (topic, kafka_partition, kafka_offset);
DROP TABLE usage_event_claims;
