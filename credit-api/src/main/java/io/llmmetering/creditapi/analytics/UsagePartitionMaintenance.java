package io.llmmetering.creditapi.analytics;

import io.llmmetering.creditapi.accounts.SpendRule;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps usage_events' monthly partitions ready a year ahead, and drops months past the retention period when
 * one is set, with the event id claims of those months and the dead letters archived before them. Runs at start and daily; both functions are idempotent, so several instances may run it.
 */
public final class UsagePartitionMaintenance {

    private static final Logger log = LoggerFactory.getLogger(UsagePartitionMaintenance.class);
    /** This month and the twelve after it. */
    static final int MONTHS_AHEAD = 13;

    private static final String CREATE_AHEAD = "SELECT usage_events_create_partitions(" + SpendRule.CURRENT_MONTH + ", ?)";
    private static final String RETENTION_CUTOFF = "(" + SpendRule.CURRENT_MONTH + " - make_interval(months => ?))";
    private static final String DROP_EXPIRED = "SELECT usage_events_drop_partitions_before(" + RETENTION_CUTOFF + "::date)";
    /** The claims of the events dropped with their months: from then on such an id would be charged again, as documented. */
    private static final String DELETE_EXPIRED_CLAIMS = "DELETE FROM usage_event_claims WHERE occurred_at < " + RETENTION_CUTOFF + " AT TIME ZONE 'UTC'";
    /** The dead-letter archive keeps the months usage_events keeps; the records stay in Kafka for its own retention. */
    private static final String DELETE_EXPIRED_DEAD_LETTERS = "DELETE FROM dead_letters WHERE archived_at < " + RETENTION_CUTOFF + " AT TIME ZONE 'UTC'";

    private final DataSource dataSource;
    private final int retentionMonths;

    /** @param retentionMonths months of usage events to keep before the current one; 0 keeps everything */
    public UsagePartitionMaintenance(DataSource dataSource, int retentionMonths) {
        if (retentionMonths < 0) {
            throw new IllegalArgumentException("retentionMonths must not be negative, was " + retentionMonths);
        }
        this.dataSource = dataSource;
        this.retentionMonths = retentionMonths;
    }

    /** Returns the partitions created and dropped. */
    public List<String> run() throws SQLException {
        List<String> changed = new ArrayList<>();
        try (Connection connection = dataSource.getConnection()) {
            changed.addAll(call(connection, CREATE_AHEAD, MONTHS_AHEAD));
            if (retentionMonths > 0) {
                changed.addAll(call(connection, DROP_EXPIRED, retentionMonths).stream().map(name -> "dropped " + name).toList());
                int claims = delete(connection, DELETE_EXPIRED_CLAIMS, retentionMonths);
                int deadLetters = delete(connection, DELETE_EXPIRED_DEAD_LETTERS, retentionMonths);
                if (claims + deadLetters > 0) {
                    changed.add("deleted " + claims + " event id claims and " + deadLetters + " dead letters");
                }
            }
        }
        if (!changed.isEmpty()) {
            log.info("usage_events partitions changed={}", changed);
        }
        return changed;
    }

    private static int delete(Connection connection, String sql, int months) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setInt(1, months);
            return statement.executeUpdate();
        }
    }

    private static List<String> call(Connection connection, String sql, int months) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setInt(1, months);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        return names;
    }
}
