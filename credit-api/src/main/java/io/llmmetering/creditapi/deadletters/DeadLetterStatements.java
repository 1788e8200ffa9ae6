package io.llmmetering.creditapi.deadletters;

/** The SQL of the dead-letter archive and its replays; none of it is built from input. */
final class DeadLetterStatements {

    private DeadLetterStatements() {
    }

    static final String STORE = """
            INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, record_key, record_value, record_timestamp, reason,
                                      error, source_topic, source_partition, source_offset, processor, failed_at, event_id,
                                      user_id, model, provider, input_tokens, output_tokens, cached_input_tokens, occurred_at, topic_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT ON CONSTRAINT uq_dead_letters_topic_id_partition_offset DO NOTHING
            """;

    /**
     * The models among those bound that have no dead letter for want of a price waiting to be replayed: a dead
     * letter of one of them now is a model newly seen without a price.
     */
    static final String MODELS_NOT_WAITING = """
            SELECT m.model FROM unnest(?::text[]) AS m(model)
             WHERE NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.model = m.model AND d.reason = 'unknown_model' AND d.replay_id IS NULL)
            """;

    static final String NEXT_OFFSETS = """
            SELECT kafka_partition, max(kafka_offset) + 1 FROM dead_letters
             WHERE topic = ? AND (topic_id = ? OR topic_id IS NULL OR ?::text IS NULL)
             GROUP BY kafka_partition
            """;

    // Each filter is optional: "? IS NULL OR column = ?" keeps one well-named statement instead of SQL built per request.
    static final String FILTER = """
             WHERE (?::text IS NULL OR d.topic = ?)
               AND (?::text IS NULL OR d.reason = ?)
               AND (?::text IS NULL OR d.model = ?)
               AND (?::timestamptz IS NULL OR d.failed_at >= ?)
            """;

    static final String LIST = """
            SELECT d.id, d.topic, d.kafka_partition, d.kafka_offset, d.reason, d.error, d.source_topic, d.source_partition,
                   d.source_offset, d.processor, d.failed_at, d.event_id, d.user_id, d.model, d.provider, d.input_tokens,
                   d.output_tokens, d.cached_input_tokens, d.occurred_at, r.id, r.requested_at, r.requested_by
              FROM dead_letters d LEFT JOIN dead_letter_replays r ON r.id = d.replay_id
            """ + FILTER + """
               AND (?::bigint IS NULL OR d.id < ?)
             ORDER BY d.id DESC
             LIMIT ?
            """;

    static final String COUNT_BY_REASON = """
            SELECT d.reason, count(*), count(*) FILTER (WHERE d.replay_id IS NULL) FROM dead_letters d
            """ + FILTER + """
             GROUP BY d.reason ORDER BY count(*) DESC, d.reason
            """;

    static final String UNKNOWN_MODELS = """
            SELECT model, count(*), count(*) FILTER (WHERE replay_id IS NULL), count(DISTINCT user_id),
                   min(coalesce(occurred_at, failed_at)), max(coalesce(occurred_at, failed_at))
              FROM dead_letters
             WHERE reason = 'unknown_model' AND model IS NOT NULL
             GROUP BY model
             ORDER BY max(coalesce(occurred_at, failed_at)) DESC, model
             LIMIT 1000
            """;
}
