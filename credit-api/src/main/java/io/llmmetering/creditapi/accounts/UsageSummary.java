package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A user's metered usage in [from, to) by provider and model, from the priced events themselves
 * ({@code usage_events}, read through the (user_id, occurred_at) index and only the months' partitions in range).
 */
public final class UsageSummary {

    private static final String BY_MODEL = """
            SELECT provider, model, count(*), sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(cost)
              FROM usage_events
             WHERE user_id = ? AND occurred_at >= ? AND occurred_at < ?
             GROUP BY provider, model
             ORDER BY sum(cost) DESC, provider, model
            """;

    private final DataSource dataSource;

    public UsageSummary(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public record ModelUsage(String provider, String model, long requests, long inputTokens, long outputTokens, long cachedInputTokens,
                             Credits cost) {
    }

    public List<ModelUsage> byModel(String userId, Instant from, Instant to) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(BY_MODEL)) {
            query.setString(1, userId);
            query.setTimestamp(2, Timestamp.from(from));
            query.setTimestamp(3, Timestamp.from(to));
            List<ModelUsage> usage = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    usage.add(new ModelUsage(row.getString(1), row.getString(2), row.getLong(3), row.getLong(4), row.getLong(5), row.getLong(6),
                            Credits.ofExact(row.getBigDecimal(7))));
                }
            }
            return usage;
        }
    }
}
