package io.llmmetering.creditapi.rollups;

import io.llmmetering.schemas.UsageRollup;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Upserts rollups into {@code usage_rollups}. A rollup record is the whole state of its window, so writing it
 * replaces the row: replaying records changes nothing, and an older record never overwrites a newer one.
 */
public final class RollupWriter {

    static final String UPSERT_ROLLUPS = """
            INSERT INTO usage_rollups (user_id, model, provider, granularity, window_start, window_end, requests,
                                       input_tokens, output_tokens, cached_input_tokens, cost, updated_at)
            SELECT r.user_id, r.model, r.provider, r.granularity,
                   timestamptz 'epoch' + r.start_ms * interval '1 millisecond', timestamptz 'epoch' + r.end_ms * interval '1 millisecond',
                   r.requests, r.input_tokens, r.output_tokens, r.cached_input_tokens, r.cost_nanos * 0.000000001,
                   timestamptz 'epoch' + r.updated_ms * interval '1 millisecond'
              FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],
                          ?::bigint[], ?::bigint[], ?::bigint[])
                   AS r(user_id, model, provider, granularity, start_ms, end_ms, requests, input_tokens, output_tokens,
                        cached_input_tokens, cost_nanos, updated_ms)
            ON CONFLICT (user_id, model, provider, granularity, window_start) DO UPDATE
               SET window_end = EXCLUDED.window_end, requests = EXCLUDED.requests, input_tokens = EXCLUDED.input_tokens,
                   output_tokens = EXCLUDED.output_tokens, cached_input_tokens = EXCLUDED.cached_input_tokens,
                   cost = EXCLUDED.cost, updated_at = EXCLUDED.updated_at
             WHERE usage_rollups.updated_at <= EXCLUDED.updated_at
            """;

    private final DataSource dataSource;

    public RollupWriter(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Writes the rollups; of several records for one window in the batch, the newest wins. Returns rows written. */
    public int write(Collection<UsageRollup> rollups) throws SQLException {
        Map<List<Object>, UsageRollup> newest = new LinkedHashMap<>();
        for (UsageRollup rollup : rollups) {
            // one row may be touched only once per statement, so keep the newest record of each window
            newest.merge(List.of(rollup.getUserId(), rollup.getModel(), rollup.getProvider(), rollup.getGranularity(), rollup.getWindowStart()),
                    rollup, (a, b) -> b.getUpdatedAt().isAfter(a.getUpdatedAt()) ? b : a);
        }
        if (newest.isEmpty()) {
            return 0;
        }
        List<UsageRollup> rows = List.copyOf(newest.values());
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(UPSERT_ROLLUPS)) {
            statement.setArray(1, connection.createArrayOf("text", rows.stream().map(UsageRollup::getUserId).toArray()));
            statement.setArray(2, connection.createArrayOf("text", rows.stream().map(UsageRollup::getModel).toArray()));
            statement.setArray(3, connection.createArrayOf("text", rows.stream().map(UsageRollup::getProvider).toArray()));
            statement.setArray(4, connection.createArrayOf("text", rows.stream().map(UsageRollup::getGranularity).toArray()));
            statement.setArray(5, connection.createArrayOf("bigint", rows.stream().map(r -> r.getWindowStart().toEpochMilli()).toArray()));
            statement.setArray(6, connection.createArrayOf("bigint", rows.stream().map(r -> r.getWindowEnd().toEpochMilli()).toArray()));
            statement.setArray(7, connection.createArrayOf("bigint", rows.stream().map(UsageRollup::getRequests).toArray()));
            statement.setArray(8, connection.createArrayOf("bigint", rows.stream().map(UsageRollup::getInputTokens).toArray()));
            statement.setArray(9, connection.createArrayOf("bigint", rows.stream().map(UsageRollup::getOutputTokens).toArray()));
            statement.setArray(10, connection.createArrayOf("bigint", rows.stream().map(UsageRollup::getCachedInputTokens).toArray()));
            statement.setArray(11, connection.createArrayOf("bigint", rows.stream().map(UsageRollup::getCostNanos).toArray()));
            statement.setArray(12, connection.createArrayOf("bigint", rows.stream().map(r -> r.getUpdatedAt().toEpochMilli()).toArray()));
            return statement.executeUpdate();
        }
    }
}
