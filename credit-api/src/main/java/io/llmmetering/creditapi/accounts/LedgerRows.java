package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Optional;
import java.util.UUID;

/** The ledger's rows, statement by statement, inside the transaction {@link CreditLedger} opened. */
final class LedgerRows {

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    private LedgerRows() {
    }

    static void openAccount(Connection connection, String userId) throws SQLException {
        try (PreparedStatement open = connection.prepareStatement(AccountStatements.OPEN_ACCOUNT)) {
            open.setString(1, userId);
            open.executeUpdate();
        }
    }

    static Optional<LedgerReceipt> earlierReceipt(Connection connection, String userId, String key, Credits signedAmount, String type)
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

    static BalanceCache.Versioned creditAccount(Connection connection, String userId, Credits amount) throws SQLException {
        try (PreparedStatement credit = connection.prepareStatement(AccountStatements.CREDIT_ACCOUNT)) {
            credit.setBigDecimal(1, amount.toBigDecimal());
            credit.setString(2, userId);
            try (ResultSet row = credit.executeQuery()) {
                row.next();
                return new BalanceCache.Versioned(Credits.ofExact(row.getBigDecimal(1)), row.getLong(2));
            }
        }
    }

    /** Adds {@code signedAmount} unless a decrease would leave less than holds reserve; then refuses, naming what is free. */
    static BalanceCache.Versioned changeAboveHolds(Connection connection, String userId, Credits signedAmount) throws SQLException {
        try (PreparedStatement change = connection.prepareStatement(AccountStatements.CHANGE_BALANCE_ABOVE_HOLDS)) {
            change.setBigDecimal(1, signedAmount.toBigDecimal());
            change.setString(2, userId);
            try (ResultSet row = change.executeQuery()) {
                if (row.next()) {
                    return new BalanceCache.Versioned(Credits.ofExact(row.getBigDecimal(1)), row.getLong(2));
                }
            }
        }
        try (PreparedStatement read = connection.prepareStatement(AccountStatements.BALANCE_AND_HELD)) {
            read.setString(1, userId);
            try (ResultSet row = read.executeQuery()) {
                row.next();
                Credits balance = Credits.ofExact(row.getBigDecimal(1));
                Credits held = Credits.ofExact(row.getBigDecimal(2));
                Credits free = balance.compareTo(held) > 0 ? balance.minus(held) : Credits.ZERO;
                throw new LedgerRefusal(LedgerRefusal.Reason.EXCEEDS_AVAILABLE_BALANCE,
                        "the balance is " + balance + " of which active holds reserve " + held + ": at most " + free + " can be taken");
            }
        }
    }

    /** The account that a payment reference already bought credits for, if any, with the amount it bought. */
    static Optional<Purchase> purchaseByReference(Connection connection, String reference) throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(AccountStatements.PURCHASE_BY_REFERENCE)) {
            find.setString(1, reference);
            try (ResultSet row = find.executeQuery()) {
                return row.next() ? Optional.of(new Purchase(null, row.getString(1), Credits.ofExact(row.getBigDecimal(2)), Credits.ZERO))
                        : Optional.empty();
            }
        }
    }

    /** A purchase of this account, locked for a refund, with what was refunded of it before. */
    record Purchase(UUID id, String userId, Credits amount, Credits refunded) {

        Credits refundable() {
            return amount.minus(refunded);
        }
    }

    static Purchase lockPurchase(Connection connection, String userId, String reference) throws SQLException {
        UUID id;
        Credits amount;
        try (PreparedStatement lock = connection.prepareStatement(AccountStatements.LOCK_PURCHASE)) {
            lock.setString(1, userId);
            lock.setString(2, reference);
            try (ResultSet row = lock.executeQuery()) {
                if (!row.next()) {
                    throw new LedgerRefusal(LedgerRefusal.Reason.PURCHASE_NOT_FOUND, "this account has no purchase with external_reference " + reference);
                }
                id = row.getObject(1, UUID.class);
                amount = Credits.ofExact(row.getBigDecimal(2));
            }
        }
        try (PreparedStatement refunded = connection.prepareStatement(AccountStatements.REFUNDED_OF_PURCHASE)) {
            refunded.setString(1, userId);
            refunded.setString(2, id.toString());
            try (ResultSet row = refunded.executeQuery()) {
                row.next();
                return new Purchase(id, userId, amount, Credits.ofExact(row.getBigDecimal(1)));
            }
        }
    }

    static Optional<BalanceCache.Versioned> debitAccount(Connection connection, String userId, Credits amount) throws SQLException {
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

    static LedgerRefusal whyNotDebited(Connection connection, String userId, Credits amount) {
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

    static LedgerRefusal whyNotRedeemable(Connection connection, String code) throws SQLException {
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

    static Credits percentOfLatestTopUp(Connection connection, String userId, BigDecimal percent) throws SQLException {
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

    static UUID record(Connection connection, String userId, Credits amount, Credits balanceAfter, String type, String reason,
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
}
