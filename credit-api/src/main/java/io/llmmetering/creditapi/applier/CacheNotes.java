package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ledger's notes of balances on their way to Redis ({@code applier_cache_pending}): each batch notes its users
 * in its own transaction; a note whose balances Redis took is forgotten; notes nobody confirmed are read back, with
 * the balances they name, by the next owner of the partitions.
 */
final class CacheNotes {

    private final DataSource dataSource;
    private final String consumerGroup;

    CacheNotes(DataSource dataSource, String consumerGroup) {
        this.dataSource = dataSource;
        this.consumerGroup = consumerGroup;
    }

    /** A committed batch whose users' balances may not have reached Redis. */
    record Note(long id, List<String> userIds) {
    }

    /** Every batch of this consumer group still noted as not confirmed in Redis, oldest first. */
    List<Note> unconfirmed() throws SQLException {
        List<Note> pending = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LedgerStatements.CACHE_PENDING)) {
            statement.setString(1, consumerGroup);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    pending.add(new Note(rows.getLong(1), List.of((String[]) rows.getArray(2).getArray())));
                }
            }
        }
        return pending;
    }

    /** The current balances of {@code userIds}, as committed. */
    Map<String, BalanceCache.Versioned> balancesOf(Collection<String> userIds) throws SQLException {
        Map<String, BalanceCache.Versioned> balances = new HashMap<>(userIds.size() * 2);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LedgerStatements.BALANCES_OF)) {
            statement.setArray(1, connection.createArrayOf("text", userIds.toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    balances.put(rows.getString(1), new BalanceCache.Versioned(Credits.ofExact(rows.getBigDecimal(2)), rows.getLong(3)));
                }
            }
        }
        return balances;
    }

    /** The notes whose balances Redis took. */
    void forget(List<Long> ids) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LedgerStatements.FORGET_CACHE_PENDING)) {
            statement.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
            statement.executeUpdate();
        }
    }
}
