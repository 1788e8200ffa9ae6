-- An event id is charged at most once per user for as long as the ledger keeps the event, whatever time its
-- copies carry. usage_events is unique on (occurred_at, event_id) only, because it is partitioned by time: two
-- copies of one id stamped at different times (ingest stamps the arrival time when a proxy sends none, and each
-- retry gets its own), both older than the topology's dedupe horizon (replayed from the dead letters two days
-- later, say), were both charged. The applier claims (user_id, event_id) here in the batch's transaction and
-- charges only what it claimed.
CREATE TABLE usage_event_claims (
    user_id     TEXT        NOT NULL,
    event_id    TEXT        NOT NULL,
    -- the time of the charged copy: the claim goes when usage_events' month of that time is dropped
    occurred_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT usage_event_claims_pkey PRIMARY KEY (user_id, event_id)
);

-- retention (UsagePartitionMaintenance): claims of the months dropped from usage_events; claims arrive in about
-- time order, so a block range index serves the delete for a few pages
CREATE INDEX idx_usage_event_claims_occurred_at ON usage_event_claims USING brin (occurred_at);

INSERT INTO usage_event_claims (user_id, event_id, occurred_at)
SELECT DISTINCT ON (user_id, event_id) user_id, event_id, occurred_at
  FROM usage_events
 ORDER BY user_id, event_id, occurred_at;

-- retention of the dead-letter archive, with the same months as usage_events: rows go in archive order
CREATE INDEX idx_dead_letters_archived_at ON dead_letters USING brin (archived_at);

-- A dead-letter topic deleted and created again numbers its records from 0: keyed by (topic, partition, offset)
-- alone its records collided with the old topic's rows and were dropped. Rows carry the id Kafka gave the topic;
-- those archived before this version have none and count as the current topic's until it is recreated.
ALTER TABLE dead_letters ADD COLUMN topic_id TEXT;
ALTER TABLE dead_letters DROP CONSTRAINT uq_dead_letters_topic_partition_offset;
ALTER TABLE dead_letters ADD CONSTRAINT uq_dead_letters_topic_id_partition_offset UNIQUE (topic, topic_id, kafka_partition, kafka_offset);
