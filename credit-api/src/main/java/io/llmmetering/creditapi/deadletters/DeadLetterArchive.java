package io.llmmetering.creditapi.deadletters;

import io.llmmetering.creditapi.jdbc.Transactions;
import io.llmmetering.creditapi.webhooks.WebhookOutbox;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The dead letters of both dead-letter topics as rows of {@code dead_letters}: written by {@link DeadLetterCopier},
 * read by operators. A row is keyed by its Kafka coordinates, so storing a record twice keeps one row.
 */
public final class DeadLetterArchive {

    /** Decoded text is shown, never trusted: a hostile record's megabyte-long user id is kept to this. */
    static final int MAX_TEXT = 512;
    public static final int MAX_PAGE = 500;

    private final DataSource dataSource;

    public DeadLetterArchive(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A dead-letter record as read from Kafka, with what its headers and bytes say. */
    record Incoming(String topic, String topicId, int partition, long offset, byte[] key, byte[] value, Instant timestamp, String reason, String error,
                    DeadLetter.Source source, String processor, Instant failedAt, Optional<DeadLetter.Event> event) {
    }

    /**
     * Archives {@code letters} (a letter archived before is skipped) and, in the same transaction, queues a
     * {@code model.unpriced} webhook event for each model that arrives without a price while no earlier dead letter
     * of it waits to be replayed.
     */
    void store(List<Incoming> letters) throws SQLException {
        if (letters.isEmpty()) {
            return;
        }
        Transactions.inTransaction(dataSource, connection -> {
            WebhookOutbox.enqueue(connection, UnpricedModels.newlySeen(connection, letters));
            insert(connection, letters);
            return null;
        });
    }

    private static void insert(Connection connection, List<Incoming> letters) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(DeadLetterStatements.STORE)) {
            for (Incoming letter : letters) {
                int i = 0;
                insert.setString(++i, letter.topic());
                insert.setInt(++i, letter.partition());
                insert.setLong(++i, letter.offset());
                insert.setBytes(++i, letter.key());
                insert.setBytes(++i, letter.value());
                insert.setTimestamp(++i, Timestamp.from(letter.timestamp()));
                insert.setString(++i, text(letter.reason()));
                insert.setString(++i, text(letter.error()));
                insert.setString(++i, text(letter.source().topic()));
                insert.setObject(++i, letter.source().partition(), Types.INTEGER);
                insert.setObject(++i, letter.source().offset(), Types.BIGINT);
                insert.setString(++i, text(letter.processor()));
                insert.setTimestamp(++i, Timestamp.from(letter.failedAt()));
                DeadLetter.Event event = letter.event().orElse(null);
                insert.setString(++i, event == null ? null : text(event.eventId()));
                insert.setString(++i, event == null ? null : text(event.userId()));
                insert.setString(++i, event == null ? null : text(event.model()));
                insert.setString(++i, event == null ? null : text(event.provider()));
                insert.setObject(++i, event == null ? null : event.inputTokens(), Types.BIGINT);
                insert.setObject(++i, event == null ? null : event.outputTokens(), Types.BIGINT);
                insert.setObject(++i, event == null ? null : event.cachedInputTokens(), Types.BIGINT);
                insert.setTimestamp(++i, event == null || event.occurredAt() == null ? null : Timestamp.from(event.occurredAt()));
                insert.setString(++i, letter.topicId());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /**
     * Where the copier resumes: one past the highest offset archived, per partition of the topic while it had the id
     * {@code topicId} (rows archived before ids were stored count too); a null id counts every row.
     */
    Map<Integer, Long> nextOffsets(String topic, String topicId) throws SQLException {
        Map<Integer, Long> offsets = new HashMap<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(DeadLetterStatements.NEXT_OFFSETS)) {
            query.setString(1, topic);
            query.setString(2, topicId);
            query.setString(3, topicId);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    offsets.put(rows.getInt(1), rows.getLong(2));
                }
            }
        }
        return offsets;
    }

    /** What to list or count; every field optional. */
    public record Filter(Optional<String> topic, Optional<String> reason, Optional<String> model, Optional<Instant> from) {
        public static Filter none() {
            return new Filter(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    public record Page(List<DeadLetter> deadLetters, Optional<Long> nextCursor) {
    }

    public record ReasonCount(String reason, long total, long notReplayed) {
    }

    /** Newest first (the order they were archived in); {@code cursor} is the id below which the page starts. */
    public Page list(Filter filter, Optional<Long> cursor, int limit) throws SQLException {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be 1-" + MAX_PAGE);
        }
        List<DeadLetter> letters = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement(DeadLetterStatements.LIST)) {
            int i = bind(query, filter);
            query.setObject(++i, cursor.orElse(null), Types.BIGINT);
            query.setObject(++i, cursor.orElse(null), Types.BIGINT);
            query.setInt(++i, limit + 1);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    letters.add(deadLetter(rows));
                }
            }
        }
        if (letters.size() > limit) {
            letters.remove(limit);
            return new Page(letters, Optional.of(letters.get(limit - 1).id()));
        }
        return new Page(letters, Optional.empty());
    }

    public List<ReasonCount> countByReason(Filter filter) throws SQLException {
        List<ReasonCount> counts = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(DeadLetterStatements.COUNT_BY_REASON)) {
            bind(query, filter);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    counts.add(new ReasonCount(rows.getString(1), rows.getLong(2), rows.getLong(3)));
                }
            }
        }
        return counts;
    }

    /** A model events were dead-lettered for because it had no price. */
    public record UnknownModel(String model, long events, long notReplayed, long users, Instant firstSeen, Instant lastSeen) {
    }

    public List<UnknownModel> unknownModels() throws SQLException {
        List<UnknownModel> models = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(DeadLetterStatements.UNKNOWN_MODELS);
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                models.add(new UnknownModel(rows.getString(1), rows.getLong(2), rows.getLong(3), rows.getLong(4),
                        rows.getTimestamp(5).toInstant(), rows.getTimestamp(6).toInstant()));
            }
        }
        return models;
    }

    /** Binds {@link DeadLetterStatements#FILTER}'s parameters, the first of the statement; returns the last index bound. */
    static int bind(PreparedStatement query, Filter filter) throws SQLException {
        int i = 0;
        for (Optional<String> value : List.of(filter.topic(), filter.reason(), filter.model())) {
            query.setString(++i, value.orElse(null));
            query.setString(++i, value.orElse(null));
        }
        Timestamp from = filter.from().map(Timestamp::from).orElse(null);
        query.setTimestamp(++i, from);
        query.setTimestamp(++i, from);
        return i;
    }

    private static DeadLetter deadLetter(ResultSet row) throws SQLException {
        Optional<DeadLetter.Event> event = row.getString(12) == null && row.getString(13) == null ? Optional.empty()
                : Optional.of(new DeadLetter.Event(row.getString(12), row.getString(13), row.getString(14), row.getString(15),
                        (Long) row.getObject(16), (Long) row.getObject(17), (Long) row.getObject(18), instant(row.getTimestamp(19))));
        Optional<DeadLetter.Replayed> replayed = row.getObject(20) == null ? Optional.empty()
                : Optional.of(new DeadLetter.Replayed(row.getLong(20), row.getTimestamp(21).toInstant(), row.getString(22)));
        return new DeadLetter(row.getLong(1), row.getString(2), row.getInt(3), row.getLong(4), row.getString(5), row.getString(6),
                new DeadLetter.Source(row.getString(7), (Integer) row.getObject(8), (Long) row.getObject(9)), row.getString(10),
                row.getTimestamp(11).toInstant(), event, replayed);
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    /** PostgreSQL text cannot hold NUL, and a hostile header can be long: shown text is cleaned and shortened. */
    static String text(String value) {
        if (value == null) {
            return null;
        }
        String clean = value.indexOf('\0') < 0 ? value : value.replace('\0', '\uFFFD');
        return clean.length() <= MAX_TEXT ? clean : clean.substring(0, MAX_TEXT);
    }

    static Map<String, Object> asMap(Filter filter) {
        Map<String, Object> map = new LinkedHashMap<>();
        filter.topic().ifPresent(topic -> map.put("topic", topic));
        filter.reason().ifPresent(reason -> map.put("reason", reason));
        filter.model().ifPresent(model -> map.put("model", model));
        filter.from().ifPresent(from -> map.put("from", from.toString()));
        return map;
    }
}
