package io.llmmetering.creditapi.balances;

import io.llmmetering.core.money.Credits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Reads a balance: Redis first, PostgreSQL on a miss (then cached with its TTL). With Redis down every read
 * is a miss served by PostgreSQL. Hits and misses are metered: the seed wants a hit rate above 50 %.
 */
public final class BalanceReader {

    private static final String READ_BALANCE = "SELECT balance, balance_version FROM user_credits WHERE user_id = ?";

    private final DataSource dataSource;
    private final BalanceCache cache;
    private final Counter hits;
    private final Counter misses;

    public BalanceReader(DataSource dataSource, BalanceCache cache, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.cache = cache;
        this.hits = Counter.builder("credit.cache.requests").tag("result", "hit").register(registry);
        this.misses = Counter.builder("credit.cache.requests").tag("result", "miss").register(registry);
    }

    /** The user's balance; an unknown user has 0. */
    public Credits balanceOf(String userId) throws SQLException {
        Optional<Credits> cached = cached(userId);
        return cached.isPresent() ? cached.get() : filled(userId, fromDatabase(userId));
    }

    /**
     * The cached balance, else the one the caller has just read from PostgreSQL with its version (cached for the
     * next read): a caller that reads the account row anyway saves the miss its second query.
     */
    public Credits balanceOf(String userId, BalanceCache.Versioned stored) {
        return cached(userId).orElseGet(() -> filled(userId, stored));
    }

    private Optional<Credits> cached(String userId) {
        Optional<Credits> cached = cache.get(userId);
        (cached.isPresent() ? hits : misses).increment();
        return cached;
    }

    private Credits filled(String userId, BalanceCache.Versioned stored) {
        cache.put(userId, stored.balance(), stored.version());
        return stored.balance();
    }

    private BalanceCache.Versioned fromDatabase(String userId) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(READ_BALANCE)) {
            statement.setString(1, userId);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return new BalanceCache.Versioned(Credits.ZERO, 0);
                }
                BigDecimal balance = row.getBigDecimal(1);
                return new BalanceCache.Versioned(Credits.ofExact(balance), row.getLong(2));
            }
        }
    }
}
