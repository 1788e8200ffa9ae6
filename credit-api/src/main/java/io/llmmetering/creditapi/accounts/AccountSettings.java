package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.creditapi.jdbc.Transactions;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Optional;

/**
 * Admin changes to what an account may spend and how it is priced: tier, monthly cap, suspension. Each returns
 * the account's new pricing-relevant state, which the caller publishes to {@code credit.accounts}.
 */
public final class AccountSettings {

    private final DataSource dataSource;

    public AccountSettings(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public AccountState setTier(String userId, String tier) throws SQLException {
        return update(userId, AccountStatements.SET_TIER, statement -> {
            statement.setString(1, tier);
            statement.setString(2, userId);
        });
    }

    /** An empty cap removes it. */
    public AccountState setMonthlyCap(String userId, Optional<Credits> cap) throws SQLException {
        return update(userId, AccountStatements.SET_MONTHLY_CAP, statement -> {
            if (cap.isPresent()) {
                statement.setBigDecimal(1, cap.get().toBigDecimal());
            } else {
                statement.setNull(1, Types.NUMERIC);
            }
            statement.setString(2, userId);
        });
    }

    /** {@code active} or {@code suspended}; a suspended account's synchronous deducts are refused. */
    public AccountState setStatus(String userId, String status) throws SQLException {
        return update(userId, AccountStatements.SET_STATUS, statement -> {
            statement.setString(1, status);
            statement.setString(2, userId);
        });
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    private AccountState update(String userId, String sql, Binder binder) throws SQLException {
        return Transactions.inTransaction(dataSource, connection -> {
            try (PreparedStatement open = connection.prepareStatement(AccountStatements.OPEN_ACCOUNT)) {
                open.setString(1, userId);
                open.executeUpdate();
            }
            try (PreparedStatement update = connection.prepareStatement(sql)) {
                binder.bind(update);
                try (ResultSet row = update.executeQuery()) {
                    row.next();
                    BigDecimal cap = row.getBigDecimal(2);
                    return AccountState.newBuilder().setUserId(userId).setTier(row.getString(1))
                            .setMonthlyCapNanos(cap == null ? null : Credits.ofExact(cap).nanos())
                            .setStatus(row.getString(3)).setUpdatedAt(Instant.now()).build();
                }
            }
        });
    }
}
