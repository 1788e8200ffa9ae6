package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceCacheRetries;
import io.llmmetering.creditapi.jdbc.SqlFailures;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Optional;
import java.util.UUID;

/**
 * Synchronous balance changes: admin allocations, deducts by callers that do not go through Kafka, coupon
 * redemptions. Each is one PostgreSQL transaction that changes the balance and writes its ledger row together,
 * so {@code balance = sum(credit_transactions.amount)} holds after every commit. The new balance goes to Redis
 * after the commit; a write Redis refuses is made again until it takes it ({@link BalanceCacheRetries}).
 *
 * <p>Idempotency keys: the first request with a key books and records the key on its ledger row (unique per
 * user); a retry finds that row and gets the first answer back. Two concurrent requests with one key both try,
 * the loser's insert violates the unique index, its whole transaction rolls back, and it answers the winner's
 * receipt. A key reused for a different amount or operation is refused.
 */
public final class CreditLedger {

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    private final DataSource dataSource;
    private final BalanceCacheRetries cache;
    private final MeterRegistry registry;

    public CreditLedger(DataSource dataSource, BalanceCacheRetries cache, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.cache = cache;
        this.registry = registry;
    }

    /** Counts every operation by type and outcome: a spike of refusals is what the "failed transactions" alert watches. */
    private void count(String type, String outcome) {
        registry.counter("credit.ledger.operations", "type", type, "outcome", outcome).increment();
    }

    /** Adds {@code amount} (positive) to an account, opening it if needed; {@code type} is allocation, purchase or refund. */
    public LedgerReceipt credit(String userId, Credits amount, String type, String reason, String actor, Optional<String> idempotencyKey)
            throws SQLException {
        requirePositive(amount);
        return book(userId, idempotencyKey, amount, type, connection -> {
            BalanceCache.Versioned balance = creditAccount(connection, userId, amount);
            UUID id = record(connection, userId, amount, balance.balance(), type, reason, UsageDetails.none(), idempotencyKey, actor);
            return new LedgerReceipt(balance.balance(), id, amount, false, balance.version());
        });
    }

    /**
     * Takes {@code amount} (positive) from an account if it is active, holds that much and stays within its
     * monthly cap; otherwise refuses and changes nothing. Concurrent deducts serialize on the account row and
     * never overdraw.
     */
    public LedgerReceipt deduct(String userId, Credits amount, String reason, UsageDetails usage, Optional<String> idempotencyKey)
            throws SQLException {
        requirePositive(amount);
        return book(userId, idempotencyKey, amount.negate(), "deduction", connection -> {
            BalanceCache.Versioned balance = debitAccount(connection, userId, amount)
                    .orElseThrow(() -> whyNotDebited(connection, userId, amount));
            UUID id = record(connection, userId, amount.negate(), balance.balance(), "deduction", reason, usage, idempotencyKey, userId);
            return new LedgerReceipt(balance.balance(), id, amount.negate(), false, balance.version());
        });
    }

    /**
     * Redeems a coupon once per user: a fixed coupon credits its value, a percentage coupon that share of the
     * account's latest top-up (allocation or purchase). The coupon row is locked while its use is taken, so
     * {@code max_uses} holds under any concurrency.
     */
    public LedgerReceipt redeem(String userId, String code) throws SQLException {
        return book(userId, Optional.empty(), null, "coupon", connection -> {
            UUID couponId;
            String discountType;
            BigDecimal discountValue;
            try (PreparedStatement take = connection.prepareStatement(AccountStatements.TAKE_COUPON_USE)) {
                take.setString(1, code);
                try (ResultSet row = take.executeQuery()) {
                    if (!row.next()) {
                        throw whyNotRedeemable(connection, code);
                    }
                    couponId = row.getObject(1, UUID.class);
                    discountType = row.getString(2);
                    discountValue = row.getBigDecimal(3);
                }
            }
            try (PreparedStatement find = connection.prepareStatement(AccountStatements.FIND_REDEMPTION)) {
                find.setObject(1, couponId);
                find.setString(2, userId);
                try (ResultSet row = find.executeQuery()) {
                    if (row.next()) {
                        throw new LedgerRefusal(LedgerRefusal.Reason.COUPON_ALREADY_REDEEMED, "coupon " + code + " was already redeemed by this account");
                    }
                }
            }
            Credits amount = discountType.equals("fixed") ? Credits.ofExact(discountValue) : percentOfLatestTopUp(connection, userId, discountValue);
            BalanceCache.Versioned balance = creditAccount(connection, userId, amount);
            String metadata = "{\"coupon_id\":\"" + couponId + "\",\"discount_type\":\"" + discountType + "\"}";
            UUID id = record(connection, userId, amount, balance.balance(), "coupon", "coupon " + code,
                    new UsageDetails(Optional.empty(), Optional.empty(), java.util.OptionalLong.empty(), Optional.empty(), metadata),
                    Optional.empty(), userId);
            try (PreparedStatement redemption = connection.prepareStatement(AccountStatements.RECORD_REDEMPTION)) {
                redemption.setObject(1, couponId);
                redemption.setString(2, userId);
                redemption.setBigDecimal(3, amount.toBigDecimal());
                redemption.setObject(4, id);
                redemption.executeUpdate();
            }
            return new LedgerReceipt(balance.balance(), id, amount, false, balance.version());
        });
    }

    @FunctionalInterface
    private interface Booking {
        LedgerReceipt apply(Connection connection) throws SQLException;
    }

    private LedgerReceipt book(String userId, Optional<String> idempotencyKey, Credits signedAmount, String type, Booking booking)
            throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                try {
                    openAccount(connection, userId);
                    if (idempotencyKey.isPresent()) {
                        Optional<LedgerReceipt> earlier = earlierReceipt(connection, userId, idempotencyKey.get(), signedAmount, type);
                        if (earlier.isPresent()) {
                            connection.rollback();
                            count(type, "replayed");
                            return earlier.get();
                        }
                    }
                    LedgerReceipt receipt = booking.apply(connection);
                    connection.commit();
                    count(type, "booked");
                    cache.put(userId, receipt.newBalance(), receipt.balanceVersion());
                    return receipt;
                } catch (SQLException e) {
                    connection.rollback();
                    if (SqlFailures.isUniqueViolation(e) && idempotencyKey.isPresent() && attempt == 1) {
                        continue; // a concurrent request with the same key committed first: answer with its receipt
                    }
                    if (SqlFailures.isUniqueViolation(e) && type.equals("coupon")) {
                        throw new LedgerRefusal(LedgerRefusal.Reason.COUPON_ALREADY_REDEEMED, "coupon was already redeemed by this account");
                    }
                    throw e;
                } catch (LedgerRefusal refusal) {
                    connection.rollback();
                    count(type, "refused");
                    throw refusal;
                } catch (RuntimeException e) {
                    connection.rollback();
                    throw e;
                }
            }
        }
    }

    private static void openAccount(Connection connection, String userId) throws SQLException {
        try (PreparedStatement open = connection.prepareStatement(AccountStatements.OPEN_ACCOUNT)) {
            open.setString(1, userId);
            open.executeUpdate();
        }
    }

    private static Optional<LedgerReceipt> earlierReceipt(Connection connection, String userId, String key, Credits signedAmount, String type)
            throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(AccountStatements.FIND_BY_IDEMPOTENCY_KEY)) {
            find.setString(1, userId);
            find.setString(2, type);
            find.setString(3, key);
            try (ResultSet row = find.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                Credits amount = Credits.ofExact(row.getBigDecimal(2));
                if (!amount.equals(signedAmount)) {
                    throw new LedgerRefusal(LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED,
                            "this Idempotency-Key was already used for a different request (" + row.getString(4) + " of " + amount + ")");
                }
                return Optional.of(new LedgerReceipt(Credits.ofExact(row.getBigDecimal(3)), row.getObject(1, UUID.class), amount, true, 0));
            }
        }
    }

    private static BalanceCache.Versioned creditAccount(Connection connection, String userId, Credits amount) throws SQLException {
        try (PreparedStatement credit = connection.prepareStatement(AccountStatements.CREDIT_ACCOUNT)) {
            credit.setBigDecimal(1, amount.toBigDecimal());
            credit.setString(2, userId);
            try (ResultSet row = credit.executeQuery()) {
                row.next();
                return new BalanceCache.Versioned(Credits.ofExact(row.getBigDecimal(1)), row.getLong(2));
            }
        }
    }

    private static Optional<BalanceCache.Versioned> debitAccount(Connection connection, String userId, Credits amount) throws SQLException {
        try (PreparedStatement debit = connection.prepareStatement(AccountStatements.DEBIT_ACCOUNT)) {
            BigDecimal value = amount.toBigDecimal();
            debit.setBigDecimal(1, value);
            debit.setString(2, userId);
            debit.setBigDecimal(3, value);
            debit.setBigDecimal(4, value);
            try (ResultSet row = debit.executeQuery()) {
                return row.next() ? Optional.of(new BalanceCache.Versioned(Credits.ofExact(row.getBigDecimal(1)), row.getLong(2))) : Optional.empty();
            }
        }
    }

    private static LedgerRefusal whyNotDebited(Connection connection, String userId, Credits amount) {
        try (PreparedStatement read = connection.prepareStatement(AccountStatements.SPENDABLE_ACCOUNT)) {
            read.setString(1, userId);
            try (ResultSet row = read.executeQuery()) {
                row.next();
                return SpendableAccount.read(row, 1).refusedDeduct(amount);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read the account after a refused debit", e);
        }
    }

    private static LedgerRefusal whyNotRedeemable(Connection connection, String code) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement(AccountStatements.READ_COUPON_STATE)) {
            read.setString(1, code);
            try (ResultSet row = read.executeQuery()) {
                if (!row.next()) {
                    return new LedgerRefusal(LedgerRefusal.Reason.COUPON_NOT_FOUND, "no coupon with this code");
                }
                if (!row.getBoolean(1)) {
                    return new LedgerRefusal(LedgerRefusal.Reason.COUPON_INACTIVE, "coupon " + code + " has been deactivated");
                }
                if (row.getBoolean(2)) {
                    return new LedgerRefusal(LedgerRefusal.Reason.COUPON_EXPIRED, "coupon " + code + " has expired");
                }
                return new LedgerRefusal(LedgerRefusal.Reason.COUPON_EXHAUSTED, "coupon " + code + " has no uses left");
            }
        }
    }

    private static Credits percentOfLatestTopUp(Connection connection, String userId, BigDecimal percent) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement(AccountStatements.LATEST_TOP_UP)) {
            read.setString(1, userId);
            try (ResultSet row = read.executeQuery()) {
                if (!row.next()) {
                    throw new LedgerRefusal(LedgerRefusal.Reason.NOTHING_TO_DISCOUNT,
                            "a percentage coupon is a bonus on the latest top-up, and this account has none");
                }
                return Credits.of(row.getBigDecimal(1).multiply(percent).divide(HUNDRED), RoundingMode.HALF_EVEN);
            }
        }
    }

    private static UUID record(Connection connection, String userId, Credits amount, Credits balanceAfter, String type, String reason,
                               UsageDetails usage, Optional<String> idempotencyKey, String actor) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(AccountStatements.RECORD_TRANSACTION)) {
            insert.setString(1, userId);
            insert.setBigDecimal(2, amount.toBigDecimal());
            insert.setBigDecimal(3, balanceAfter.toBigDecimal());
            insert.setString(4, type);
            insert.setString(5, reason);
            insert.setString(6, usage.provider().orElse(null));
            insert.setString(7, usage.model().orElse(null));
            if (usage.tokensUsed().isPresent()) {
                insert.setLong(8, usage.tokensUsed().getAsLong());
            } else {
                insert.setNull(8, Types.BIGINT);
            }
            insert.setString(9, usage.powerLevel().orElse(null));
            insert.setString(10, idempotencyKey.orElse(null));
            insert.setString(11, usage.metadataJson());
            insert.setString(12, actor);
            try (ResultSet row = insert.executeQuery()) {
                row.next();
                return row.getObject(1, UUID.class);
            }
        }
    }

    private static void requirePositive(Credits amount) {
        if (!amount.isPositive()) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
    }
}
