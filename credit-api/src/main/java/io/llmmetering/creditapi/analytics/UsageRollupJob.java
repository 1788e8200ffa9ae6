package io.llmmetering.creditapi.analytics;

import io.llmmetering.creditapi.jdbc.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Rolls settled hours of usage_events up into usage_rollups: per user, model and provider, the requests,
 * tokens and cost of the hour, computed by PostgreSQL from the ledger's own rows in one {@code INSERT ...
 * SELECT ... GROUP BY}. Any hour the applier recorded events in since its last rollup (usage_rollup_changes)
 * and that ended at least {@code settle} ago is rolled up again whole, so a late event (a proxy flushing its
 * buffer after an outage) counts in its hour as soon as that hour is read from the events again, and in its
 * rollup at the next run. Each hour is one REPEATABLE READ transaction: it deletes exactly the change marks
 * its snapshot saw, so a mark committed after the snapshot stays and the hour is rolled up again later.
 * Instances take turns through an advisory lock; running it twice is harmless.
 */
public final class UsageRollupJob {

    private static final Logger log = LoggerFactory.getLogger(UsageRollupJob.class);
    /** Any fixed number: the advisory lock that lets one instance at a time roll up. */
    private static final long LOCK_KEY = 0x726f6c6c757073L;

    private static final String TAKE_LOCK = "SELECT pg_try_advisory_xact_lock(?)";
    private static final String DUE_HOURS = """
            SELECT DISTINCT hour FROM usage_rollup_changes WHERE hour <= ? ORDER BY hour LIMIT ?
            """;
    private static final String DELETE_ROLLUPS = "DELETE FROM usage_rollups WHERE granularity = 'hour' AND window_start = ?";
    private static final String ROLL_UP = """
            WITH rolled AS (
                INSERT INTO usage_rollups (user_id, model, provider, granularity, window_start, window_end, requests, input_tokens,
                                           output_tokens, cached_input_tokens, cost, updated_at)
                SELECT user_id, model, provider, 'hour', ?, ?, count(*), sum(input_tokens), sum(output_tokens), sum(cached_input_tokens),
                       sum(cost), now()
                  FROM usage_events WHERE occurred_at >= ? AND occurred_at < ?
                 GROUP BY user_id, model, provider
                RETURNING requests)
            INSERT INTO usage_rollup_hours (hour, events, rolled_up_at)
            SELECT ?, coalesce(sum(requests), 0), now() FROM rolled
            ON CONFLICT (hour) DO UPDATE SET events = EXCLUDED.events, rolled_up_at = EXCLUDED.rolled_up_at
            """;
    private static final String FORGET_CHANGES = "DELETE FROM usage_rollup_changes WHERE hour = ?";

    private final DataSource dataSource;
    private final Duration settle;
    private final int hoursPerRun;

    /**
     * @param settle      how long after its end an hour is first rolled up: events reach the ledger seconds after
     *                    they happen, so most hours are rolled up once
     * @param hoursPerRun hours rolled up per run at most (a backlog after an upgrade is worked off over runs)
     */
    public UsageRollupJob(DataSource dataSource, Duration settle, int hoursPerRun) {
        if (settle.isNegative() || hoursPerRun < 1) {
            throw new IllegalArgumentException("settle must not be negative and hoursPerRun must be positive");
        }
        this.dataSource = dataSource;
        this.settle = settle;
        this.hoursPerRun = hoursPerRun;
    }

    /** Rolls up the hours that are due at {@code now}; returns them. */
    public List<Instant> run(Instant now) throws SQLException {
        Instant latestDue = now.minus(settle).minus(Duration.ofHours(1));
        List<Instant> hours = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement due = connection.prepareStatement(DUE_HOURS)) {
            due.setTimestamp(1, Timestamp.from(latestDue));
            due.setInt(2, hoursPerRun);
            try (ResultSet rows = due.executeQuery()) {
                while (rows.next()) {
                    hours.add(rows.getTimestamp(1).toInstant());
                }
            }
        }
        List<Instant> rolled = new ArrayList<>();
        for (Instant hour : hours) {
            if (!rollUp(hour)) {
                break; // another instance is rolling up: it will do the rest
            }
            rolled.add(hour);
        }
        if (!rolled.isEmpty()) {
            log.info("usage hours rolled up hours={} first={} last={}", rolled.size(), rolled.get(0), rolled.get(rolled.size() - 1));
        }
        return rolled;
    }

    private boolean rollUp(Instant hour) throws SQLException {
        Timestamp start = Timestamp.from(hour);
        Timestamp end = Timestamp.from(hour.plus(Duration.ofHours(1)));
        return Transactions.inSnapshot(dataSource, connection -> {
            try (PreparedStatement lock = connection.prepareStatement(TAKE_LOCK)) {
                lock.setLong(1, LOCK_KEY);
                try (ResultSet taken = lock.executeQuery()) {
                    taken.next();
                    if (!taken.getBoolean(1)) {
                        return false;
                    }
                }
            }
            try (PreparedStatement delete = connection.prepareStatement(DELETE_ROLLUPS)) {
                delete.setTimestamp(1, start);
                delete.executeUpdate();
            }
            try (PreparedStatement rollUp = connection.prepareStatement(ROLL_UP)) {
                rollUp.setTimestamp(1, start);
                rollUp.setTimestamp(2, end);
                rollUp.setTimestamp(3, start);
                rollUp.setTimestamp(4, end);
                rollUp.setTimestamp(5, start);
                rollUp.executeUpdate();
            }
            try (PreparedStatement forget = connection.prepareStatement(FORGET_CHANGES)) {
                forget.setTimestamp(1, start);
                forget.executeUpdate();
            }
            return true;
        });
    }
}
