package io.llmmetering.creditapi.deadletters;

import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.creditapi.jdbc.Transactions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import tools.jackson.databind.json.JsonMapper;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends selected dead letters back to the topic they were refused from, unchanged (key, bytes, timestamp), and
 * records who replayed how many so they are not offered again.
 *
 * <p>Exactly once in effect, not by transaction: the records are sent and acknowledged before their rows are
 * marked, in one database transaction holding the rows. If that transaction fails after the send, the rows are
 * offered again, and a second replay of an event is what dedupe (within its horizon, where a dead letter never
 * counts as seen) and the ledger's unique {@code (event_id, occurred_at)} (after it) already charge once. A replay
 * that races a late copy of the original is the same case. An event that still fails lands in its dead-letter
 * topic again, as a new dead letter with its new reason.
 */
public final class DeadLetterReplay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterReplay.class);
    public static final int MAX_PER_REPLAY = 10_000;
    public static final int MAX_IDS = 1_000;
    static final int PAGE_SIZE = 500;
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Where each dead-letter topic's records came from: never a topic a header names. */
    static final Map<String, String> SOURCE_TOPICS = Map.of(
            Topics.USAGE_EVENTS_DLQ, Topics.USAGE_EVENTS,
            Topics.CREDIT_DEBITS_DLQ, Topics.CREDIT_DEBITS);

    private static final String SELECT = """
            SELECT d.id, d.topic, d.record_key, d.record_value, d.record_timestamp
              FROM dead_letters d
            """ + DeadLetterStatements.FILTER + """
               AND d.replay_id IS NULL
               AND (?::bigint[] IS NULL OR d.id = ANY(?::bigint[]))
             ORDER BY d.id
             LIMIT ?
               FOR UPDATE SKIP LOCKED
            """;

    private static final String RECORD = """
            INSERT INTO dead_letter_replays (requested_by, filter, records) VALUES (?, ?::jsonb, 0) RETURNING id, requested_at
            """;

    private static final String COUNT_RECORDS = "UPDATE dead_letter_replays SET records = ? WHERE id = ?";

    private static final String MARK = "UPDATE dead_letters SET replay_id = ? WHERE id = ANY(?::bigint[])";

    private final DataSource dataSource;
    private final KafkaProducer<byte[], byte[]> producer;

    public DeadLetterReplay(DataSource dataSource, KafkaClients kafka) {
        this.dataSource = dataSource;
        this.producer = kafka.producer(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000),
                Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Which dead letters to replay: at least one of the filter's fields or ids. */
    public record Selection(DeadLetterArchive.Filter filter, Optional<List<Long>> ids) {
        public Selection {
            if (ids.isPresent() && (ids.get().isEmpty() || ids.get().size() > MAX_IDS)) {
                throw new IllegalArgumentException("ids must hold 1-" + MAX_IDS + " ids");
            }
            if (filter.topic().isEmpty() && filter.reason().isEmpty() && filter.model().isEmpty() && filter.from().isEmpty()
                    && ids.isEmpty()) {
                throw new IllegalArgumentException("say which dead letters to replay: reason, model, topic, from or ids");
            }
        }
    }

    /** What one replay sent; {@code replayId} is empty when nothing matched. */
    public record Result(Optional<Long> replayId, Optional<Instant> at, int replayed, Map<String, Integer> byTopic, boolean more) {
    }

    public static final class ReplayFailedException extends Exception {
        ReplayFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public Result replay(Selection selection, String requestedBy) throws SQLException, ReplayFailedException {
        return Transactions.inTransaction(dataSource, connection -> replay(connection, selection, requestedBy));
    }

    private record Selected(long id, String topic, byte[] key, byte[] value, Instant timestamp) {
    }

    /**
     * Pages of {@value #PAGE_SIZE}: each is sent and acknowledged, then marked, before the next is read, so a
     * replay of {@value #MAX_PER_REPLAY} records holds one page of them in memory, not all.
     */
    private Result replay(Connection connection, Selection selection, String requestedBy) throws SQLException, ReplayFailedException {
        long replayId = 0;
        Instant at = null;
        int replayed = 0;
        boolean more = false;
        Map<String, Integer> byTopic = new LinkedHashMap<>();
        while (true) {
            int room = MAX_PER_REPLAY - replayed;
            List<Selected> page = select(connection, selection, room == 0 ? 1 : Math.min(PAGE_SIZE, room));
            if (page.isEmpty()) {
                break;
            }
            if (room == 0) {
                more = true;
                break;
            }
            if (replayId == 0) {
                try (PreparedStatement record = connection.prepareStatement(RECORD)) {
                    record.setString(1, requestedBy);
                    record.setString(2, filterJson(selection));
                    try (ResultSet row = record.executeQuery()) {
                        row.next();
                        replayId = row.getLong(1);
                        at = row.getTimestamp(2).toInstant();
                    }
                }
            }
            send(page).forEach((topic, count) -> byTopic.merge(topic, count, Integer::sum));
            try (PreparedStatement mark = connection.prepareStatement(MARK)) {
                mark.setLong(1, replayId);
                mark.setArray(2, connection.createArrayOf("bigint", page.stream().map(Selected::id).toArray()));
                mark.executeUpdate();
            }
            replayed += page.size();
        }
        if (replayId == 0) {
            return new Result(Optional.empty(), Optional.empty(), 0, Map.of(), false);
        }
        try (PreparedStatement count = connection.prepareStatement(COUNT_RECORDS)) {
            count.setInt(1, replayed);
            count.setLong(2, replayId);
            count.executeUpdate();
        }
        log.info("dead letters replayed replay_id={} records={} by={}", replayId, replayed, requestedBy);
        return new Result(Optional.of(replayId), Optional.of(at), replayed, byTopic, more);
    }

    private static List<Selected> select(Connection connection, Selection selection, int limit) throws SQLException {
        List<Selected> selected = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(SELECT)) {
            int i = DeadLetterArchive.bind(query, selection.filter());
            java.sql.Array ids = selection.ids().isEmpty() ? null : connection.createArrayOf("bigint", selection.ids().get().toArray());
            query.setArray(++i, ids);
            query.setArray(++i, ids);
            query.setInt(++i, limit);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    selected.add(new Selected(rows.getLong(1), rows.getString(2), rows.getBytes(3), rows.getBytes(4),
                            rows.getTimestamp(5).toInstant()));
                }
            }
        }
        return selected;
    }

    private Map<String, Integer> send(List<Selected> selected) throws ReplayFailedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(selected.size());
        Map<String, Integer> byTopic = new LinkedHashMap<>();
        try {
            for (Selected letter : selected) {
                String source = SOURCE_TOPICS.get(letter.topic());
                acks.add(producer.send(new ProducerRecord<>(source, null, letter.timestamp().toEpochMilli(), letter.key(), letter.value())));
                byTopic.merge(source, 1, Integer::sum);
            }
            long deadline = System.nanoTime() + ACK_TIMEOUT.toNanos();
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReplayFailedException("interrupted while replaying", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw new ReplayFailedException("Kafka did not acknowledge the replay: " + e, e);
        }
        return byTopic;
    }

    private static String filterJson(Selection selection) {
        Map<String, Object> filter = DeadLetterArchive.asMap(selection.filter());
        selection.ids().ifPresent(ids -> filter.put("ids", ids));
        return JSON.writeValueAsString(filter);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
