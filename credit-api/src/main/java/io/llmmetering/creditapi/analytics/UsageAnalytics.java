package io.llmmetering.creditapi.analytics;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.jdbc.Transactions;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Usage grouped by model, provider, user, hour or day, exact for any time range: the sums always equal the
 * charged events of usage_events whose occurred_at falls in the range, late and out-of-order ones included.
 *
 * <p>Whole hours inside the range that are rolled up and unchanged since (in usage_rollup_hours, without a mark
 * in usage_rollup_changes) come from their hourly rollups, which is what keeps a month of dashboard reads
 * cheap; everything else (the partial hours at the edges, the hours not rolled up yet, an hour a late event
 * changed since its rollup) comes from the events themselves. The two never overlap, and both are read in one
 * snapshot, so a rollup committed between them cannot be counted twice or missed. Days are summed from hours.
 */
public final class UsageAnalytics {

    public enum GroupBy {
        MODEL("model", "model", false), PROVIDER("provider", "provider", false), USER("user_id", "user_id", false),
        HOUR("date_trunc('hour', window_start, 'UTC')", "date_trunc('hour', occurred_at, 'UTC')", true),
        DAY("date_trunc('day', window_start, 'UTC')", "date_trunc('day', occurred_at, 'UTC')", true);

        private final String rollupKey;
        private final String eventKey;
        private final boolean time;

        GroupBy(String rollupKey, String eventKey, boolean time) {
            this.rollupKey = rollupKey;
            this.eventKey = eventKey;
            this.time = time;
        }

        public boolean isTime() {
            return time;
        }

        public static Optional<GroupBy> named(String name) {
            for (GroupBy groupBy : values()) {
                if (groupBy.name().toLowerCase(Locale.ROOT).equals(name)) {
                    return Optional.of(groupBy);
                }
            }
            return Optional.empty();
        }
    }

    /** One group: a key (model, provider, user id, or the bucket's start as an ISO instant) and its sums. */
    public record Row(String key, long requests, long inputTokens, long outputTokens, Credits cost) {
    }

    private static final Map<GroupBy, String> FOR_USER = statements(true);
    private static final Map<GroupBy, String> FOR_ALL = statements(false);

    /** The rolled-up hours in a range whose rollups hold every event of the hour. */
    private static final String CLEAN_HOURS = """
            SELECT r.hour FROM usage_rollup_hours r
             WHERE r.hour >= ? AND r.hour < ?
               AND NOT EXISTS (SELECT 1 FROM usage_rollup_changes c WHERE c.hour = r.hour)
             ORDER BY r.hour
            """;

    /** Usage by UTC day, user and model, oldest day first: the admin's CSV export, with no limit. */
    private static final String DAILY_BY_USER_AND_MODEL = statement("date_trunc('day', window_start, 'UTC') AS day, user_id, model",
            "date_trunc('day', occurred_at, 'UTC') AS day, user_id, model", "", "day, user_id, model", "day, user_id, model");

    /** The statements, one per grouping and scope, made once from fixed fragments (the enum's, never a request's). */
    private static Map<GroupBy, String> statements(boolean oneUser) {
        Map<GroupBy, String> statements = new EnumMap<>(GroupBy.class);
        for (GroupBy groupBy : GroupBy.values()) {
            statements.put(groupBy, statement(groupBy.rollupKey + " AS k", groupBy.eventKey + " AS k", oneUser ? "user_id = ? AND " : "",
                    "k", groupBy.time ? "k" : "sum(cost) DESC, k"));
        }
        return Map.copyOf(statements);
    }

    /**
     * Three parts: the clean hours' rollups (a span of hours minus the holes in it), the events at the two edges of
     * that span, and the events of the holes; {@code keys} names the groups both kinds of rows are summed into.
     */
    private static String statement(String rollupKeys, String eventKeys, String user, String keys, String order) {
        return """
                SELECT %4$s, sum(requests)::bigint, sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cost)
                  FROM (SELECT %1$s, requests, input_tokens, output_tokens, cost
                          FROM usage_rollups
                         WHERE %2$sgranularity = 'hour' AND window_start >= ? AND window_start < ?
                           AND window_start <> ALL (?::timestamptz[])
                        UNION ALL
                        SELECT %3$s, 1, input_tokens, output_tokens, cost
                          FROM usage_events
                         WHERE %2$s((occurred_at >= ? AND occurred_at < ?) OR (occurred_at >= ? AND occurred_at < ?))
                        UNION ALL
                        SELECT %3$s, 1, input_tokens, output_tokens, cost
                          FROM unnest(?::timestamptz[]) AS hole(hour)
                          JOIN usage_events ON occurred_at >= hole.hour AND occurred_at < hole.hour + interval '1 hour'
                         WHERE %2$strue) u
                 GROUP BY %4$s
                 ORDER BY %5$s
                 LIMIT ?
                """.formatted(rollupKeys, user, eventKeys, keys, order);
    }

    private final DataSource dataSource;

    public UsageAnalytics(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** @param userId empty for all users (admin reports) */
    public List<Row> usage(Optional<String> userId, GroupBy groupBy, Instant from, Instant to, int limit) throws SQLException {
        return Transactions.inSnapshot(dataSource, connection -> usage(connection, userId, groupBy, from, to, limit));
    }

    private List<Row> usage(Connection connection, Optional<String> userId, GroupBy groupBy, Instant from, Instant to, int limit)
            throws SQLException {
        try (PreparedStatement query = bound(connection, (userId.isPresent() ? FOR_USER : FOR_ALL).get(groupBy), userId, from, to, limit)) {
            List<Row> rows = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    String key = groupBy.isTime() ? row.getTimestamp(1).toInstant().toString() : row.getString(1);
                    rows.add(new Row(key, row.getLong(2), row.getLong(3), row.getLong(4), Credits.ofExact(row.getBigDecimal(5))));
                }
            }
            return rows;
        }
    }

    /**
     * Usage by UTC day, user and model in [from, to), columns day, user_id, model, requests, input_tokens,
     * output_tokens, cost: a statement on {@code connection}, which must be in a REPEATABLE READ transaction,
     * ready to be read row by row (its caller sets the fetch size and closes it).
     */
    public PreparedStatement dailyByUserAndModel(Connection connection, Instant from, Instant to) throws SQLException {
        return bound(connection, DAILY_BY_USER_AND_MODEL, Optional.empty(), from, to, null);
    }

    /** {@code sql} with every parameter bound: the clean hours of the range are read first, in the same snapshot. */
    private static PreparedStatement bound(Connection connection, String sql, Optional<String> userId, Instant from, Instant to, Integer limit)
            throws SQLException {
        List<Instant> clean = cleanHours(connection, ceilHour(from), to.truncatedTo(ChronoUnit.HOURS));
        Instant spanFrom = clean.isEmpty() ? from : clean.get(0);
        Instant spanTo = clean.isEmpty() ? from : clean.get(clean.size() - 1).plus(1, ChronoUnit.HOURS);
        java.util.Set<Instant> cleanSet = new java.util.HashSet<>(clean);
        List<Timestamp> holes = new ArrayList<>();
        for (Instant hour = spanFrom; hour.isBefore(spanTo); hour = hour.plus(1, ChronoUnit.HOURS)) {
            if (!cleanSet.contains(hour)) {
                holes.add(Timestamp.from(hour));
            }
        }
        Array holeArray = connection.createArrayOf("timestamptz", holes.toArray());
        PreparedStatement query = connection.prepareStatement(sql);
        try {
            bind(query, userId, from, to, limit, spanFrom, spanTo, holeArray);
            return query;
        } catch (SQLException | RuntimeException e) {
            query.close();
            throw e;
        }
    }

    private static void bind(PreparedStatement query, Optional<String> userId, Instant from, Instant to, Integer limit, Instant spanFrom,
                             Instant spanTo, Array holeArray) throws SQLException {
        int i = 1;
        if (userId.isPresent()) {
            query.setString(i++, userId.get());
        }
        query.setTimestamp(i++, Timestamp.from(spanFrom));
        query.setTimestamp(i++, Timestamp.from(spanTo));
        query.setArray(i++, holeArray);
        if (userId.isPresent()) {
            query.setString(i++, userId.get());
        }
        query.setTimestamp(i++, Timestamp.from(from));
        query.setTimestamp(i++, Timestamp.from(spanFrom));
        query.setTimestamp(i++, Timestamp.from(spanTo));
        query.setTimestamp(i++, Timestamp.from(to));
        query.setArray(i++, holeArray);
        if (userId.isPresent()) {
            query.setString(i++, userId.get());
        }
        if (limit == null) {
            query.setNull(i, java.sql.Types.INTEGER); // LIMIT NULL: every row
        } else {
            query.setInt(i, limit);
        }
    }

    private static List<Instant> cleanHours(Connection connection, Instant from, Instant to) throws SQLException {
        List<Instant> hours = new ArrayList<>();
        if (!from.isBefore(to)) {
            return hours;
        }
        try (PreparedStatement query = connection.prepareStatement(CLEAN_HOURS)) {
            query.setTimestamp(1, Timestamp.from(from));
            query.setTimestamp(2, Timestamp.from(to));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    hours.add(rows.getTimestamp(1).toInstant());
                }
            }
        }
        return hours;
    }

    private static Instant ceilHour(Instant instant) {
        Instant floor = instant.truncatedTo(ChronoUnit.HOURS);
        return floor.equals(instant) ? floor : floor.plus(1, ChronoUnit.HOURS);
    }

}
