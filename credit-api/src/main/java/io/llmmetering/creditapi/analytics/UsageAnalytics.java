package io.llmmetering.creditapi.analytics;

import io.llmmetering.core.money.Credits;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Usage grouped by model, provider, user, hour or day, exact for any time range.
 *
 * <p>Whole hours that are safely closed (older than {@link #SETTLED}, beyond the topology's rollup grace
 * period and emit interval) come from the hourly rollups, which is what keeps a month of dashboard reads
 * cheap; the partial hours at the edges of the range and the recent hours come from the priced events
 * themselves. The two never overlap, so the sums are exact and a range may start and end anywhere. (An event
 * later than the rollup grace period is in the ledger but not in its hour's rollup; the topology counts those
 * in a metric.)
 */
public final class UsageAnalytics {

    /** Hours older than this are complete in the rollups table. */
    public static final Duration SETTLED = Duration.ofHours(1);

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

    /**
     * The statements, one per grouping and scope, made once from fixed fragments. The key expressions come
     * from the enum above, never from a request.
     */
    private static Map<GroupBy, String> statements(boolean oneUser) {
        Map<GroupBy, String> statements = new EnumMap<>(GroupBy.class);
        String user = oneUser ? "user_id = ? AND " : "";
        for (GroupBy groupBy : GroupBy.values()) {
            statements.put(groupBy, """
                    SELECT k, sum(requests)::bigint, sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cost)
                      FROM (SELECT %s AS k, requests, input_tokens, output_tokens, cost
                              FROM usage_rollups
                             WHERE %sgranularity = 'hour' AND window_start >= ? AND window_start < ?
                            UNION ALL
                            SELECT %s AS k, 1, input_tokens, output_tokens, cost
                              FROM usage_events
                             WHERE %s((occurred_at >= ? AND occurred_at < ?) OR (occurred_at >= ? AND occurred_at < ?))) u
                     GROUP BY k
                     ORDER BY %s
                     LIMIT ?
                    """.formatted(groupBy.rollupKey, user, groupBy.eventKey, user, groupBy.time ? "k" : "sum(cost) DESC, k"));
        }
        return Map.copyOf(statements);
    }

    private final DataSource dataSource;

    public UsageAnalytics(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** @param userId empty for all users (admin reports) */
    public List<Row> usage(Optional<String> userId, GroupBy groupBy, Instant from, Instant to, int limit, Instant now) throws SQLException {
        Instant innerFrom = ceilHour(from);
        Instant innerTo = min(to.truncatedTo(ChronoUnit.HOURS), now.minus(SETTLED).truncatedTo(ChronoUnit.HOURS));
        if (!innerFrom.isBefore(innerTo)) {
            innerFrom = from;
            innerTo = from; // no whole settled hour inside: everything from the events
        }
        String sql = (userId.isPresent() ? FOR_USER : FOR_ALL).get(groupBy);
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(sql)) {
            int i = 1;
            if (userId.isPresent()) {
                query.setString(i++, userId.get());
            }
            query.setTimestamp(i++, Timestamp.from(innerFrom));
            query.setTimestamp(i++, Timestamp.from(innerTo));
            if (userId.isPresent()) {
                query.setString(i++, userId.get());
            }
            query.setTimestamp(i++, Timestamp.from(from));
            query.setTimestamp(i++, Timestamp.from(innerFrom));
            query.setTimestamp(i++, Timestamp.from(innerTo));
            query.setTimestamp(i++, Timestamp.from(to));
            query.setInt(i, limit);
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

    private static Instant ceilHour(Instant instant) {
        Instant floor = instant.truncatedTo(ChronoUnit.HOURS);
        return floor.equals(instant) ? floor : floor.plus(1, ChronoUnit.HOURS);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
