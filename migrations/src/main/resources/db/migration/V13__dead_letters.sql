-- Dead letters as an operator works with them: credit-api copies every record of usage.events.dlq and
-- credit.debits.dlq here (the original key and bytes, the headers saying why, and the event where it decodes),
-- so they can be listed, counted by reason and model, and replayed to their source topic once the cause is
-- fixed. Kafka stays the source: a row is keyed by the record's topic, partition and offset, so copying a record
-- twice keeps one row, and the copier resumes from the highest offset here.
CREATE TABLE dead_letter_replays (
    id            bigserial PRIMARY KEY,
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    filter        jsonb       NOT NULL,
    records       integer     NOT NULL
);

CREATE TABLE dead_letters (
    id                  bigserial PRIMARY KEY,
    topic               text        NOT NULL,
    kafka_partition     integer     NOT NULL,
    kafka_offset        bigint      NOT NULL,
    record_key          bytea,
    record_value        bytea,
    record_timestamp    timestamptz NOT NULL,
    reason              text        NOT NULL,
    error               text,
    source_topic        text,
    source_partition    integer,
    source_offset       bigint,
    processor           text,
    failed_at           timestamptz NOT NULL,
    -- the decoded event (usage.events.dlq) or debit (credit.debits.dlq); null where the bytes do not decode
    event_id            text,
    user_id             text,
    model               text,
    provider            text,
    input_tokens        bigint,
    output_tokens       bigint,
    cached_input_tokens bigint,
    occurred_at         timestamptz,
    replay_id           bigint REFERENCES dead_letter_replays (id),
    archived_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_dead_letters_topic_partition_offset UNIQUE (topic, kafka_partition, kafka_offset)
);

CREATE INDEX idx_dead_letters_reason_id ON dead_letters (reason, id);
CREATE INDEX idx_dead_letters_model_reason ON dead_letters (model, reason) WHERE model IS NOT NULL;
CREATE INDEX idx_dead_letters_unreplayed ON dead_letters (id) WHERE replay_id IS NULL;
