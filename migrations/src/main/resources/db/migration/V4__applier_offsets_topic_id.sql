-- Offsets are only meaningful for the topic they were read from. If credit.debits is deleted and created
-- again (a new cluster, a local ./data wiped while the database stays), the old offsets would make the
-- applier skip the new topic's first records. Kafka gives every topic a unique id; offsets stored with a
-- different id are ignored.
ALTER TABLE applier_offsets ADD COLUMN topic_id TEXT;
