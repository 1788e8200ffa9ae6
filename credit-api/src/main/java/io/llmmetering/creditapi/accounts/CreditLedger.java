package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceCacheRetries;
import io.llmmetering.creditapi.jdbc.SqlFailures;
import io.llmmetering.creditapi.jdbc.Transactions;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Synchronous balance changes: admin allocations, purchases, refunds and adjustments, deducts by callers that do
 * not go through Kafka, coupon redemptions. Each is one PostgreSQL transaction that changes the balance and writes its ledger row together,
 * so {@code balance = sum(credit_transactions.amount)} holds after every commit. The new balance goes to Redis
 * after the commit; a write Redis refuses is made again until it takes it ({@link BalanceCacheRetries}).
 *
 * <p>Idempotency keys: the first request with a key books and records the key on its ledger row (unique per
 * user); a retry finds that row and gets the first answer back. Two concurrent requests with one key both try,
 * the loser's insert violates the unique index, its whole transaction rolls back, and it answers the winner's
 * receipt. A key reused for a different amount or operation is refused.
 */
public final class CreditLedger {


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

    /** Adds {@code amount} (positive) to an account, opening it if needed, as a ledger row of {@code type}. */
    public LedgerReceipt credit(String userId, Credits amount, String type, String reason, String actor, Optional<String> idempotencyKey)
            throws SQLException {
        requirePositive(amount);
        return book(userId, idempotencyKey, amount, type, connection -> {
            BalanceCache.Versioned balance = LedgerRows.creditAccount(connection, userId, amount);
            UUID id = LedgerRows.record(connection, userId, amount, balance.balance(), type, reason, UsageDetails.none(), idempotencyKey, actor);
            return new LedgerReceipt(balance.balance(), id, amount, false, balance.version());
        });
    }

    /**
     * Credits what a payment bought, once per payment: its {@code externalReference} is the purchase's idempotency
     * key, so a repeat answers the first receipt, and the same reference for another amount or account is refused.
     */
    public LedgerReceipt purchase(String userId, Credits amount, String externalReference, String reason, String actor) throws SQLException {
        requirePositive(amount);
        try {
            return book(userId, Optional.of(externalReference), amount, "purchase", connection -> {
                if (LedgerRows.purchaseByReference(connection, externalReference).isPresent()) {
                    throw referenceReused(externalReference);
                }
                BalanceCache.Versioned balance = LedgerRows.creditAccount(connection, userId, amount);
                UUID id = LedgerRows.record(connection, userId, amount, balance.balance(), "purchase", reason,
                        UsageDetails.metadata(Map.of("external_reference", externalReference)), Optional.of(externalReference), actor);
                return new LedgerReceipt(balance.balance(), id, amount, false, balance.version());
            });
        } catch (LedgerRefusal refusal) {
            throw refusal.reason() == LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED ? referenceReused(externalReference) : refusal;
        }
    }

    private static LedgerRefusal referenceReused(String externalReference) {
        return new LedgerRefusal(LedgerRefusal.Reason.EXTERNAL_REFERENCE_REUSED,
                "external_reference " + externalReference + " already bought credits in another purchase (another amount or account)");
    }

    /**
     * Returns {@code amount} (positive) of the purchase with {@code externalReference} to the payer: the account
     * loses it. Refunds of one purchase never add up to more than it bought, and never take what holds reserve.
     */
    public LedgerReceipt refund(String userId, Credits amount, String externalReference, String reason, String actor,
                                Optional<String> idempotencyKey) throws SQLException {
        requirePositive(amount);
        return book(userId, idempotencyKey, amount.negate(), "refund", connection -> {
            LedgerRows.Purchase purchase = LedgerRows.lockPurchase(connection, userId, externalReference);
            if (amount.compareTo(purchase.refundable()) > 0) {
                throw new LedgerRefusal(LedgerRefusal.Reason.REFUND_EXCEEDS_PURCHASE, "purchase " + externalReference + " bought "
                        + purchase.amount() + " and " + purchase.refunded() + " of it was refunded: at most " + purchase.refundable() + " can be");
            }
            BalanceCache.Versioned balance = LedgerRows.changeAboveHolds(connection, userId, amount.negate());
            UUID id = LedgerRows.record(connection, userId, amount.negate(), balance.balance(), "refund", reason,
                    UsageDetails.metadata(Map.of("external_reference", externalReference, "purchase_id", purchase.id().toString())),
                    idempotencyKey, actor);
            return new LedgerReceipt(balance.balance(), id, amount.negate(), false, balance.version());
        });
    }

    /** Corrects a balance by {@code signedAmount} (not zero), for a stated reason; a decrease never takes what holds reserve. */
    public LedgerReceipt adjust(String userId, Credits signedAmount, String reason, String actor, Optional<String> idempotencyKey)
            throws SQLException {
        if (signedAmount.isZero()) {
            throw new IllegalArgumentException("an adjustment must change the balance");
        }
        return book(userId, idempotencyKey, signedAmount, "adjustment", connection -> {
            BalanceCache.Versioned balance = LedgerRows.changeAboveHolds(connection, userId, signedAmount);
            UUID id = LedgerRows.record(connection, userId, signedAmount, balance.balance(), "adjustment", reason, UsageDetails.none(),
                    idempotencyKey, actor);
            return new LedgerReceipt(balance.balance(), id, signedAmount, false, balance.version());
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
            BalanceCache.Versioned balance = LedgerRows.debitAccount(connection, userId, amount)
                    .orElseThrow(() -> LedgerRows.whyNotDebited(connection, userId, amount));
            UUID id = LedgerRows.record(connection, userId, amount.negate(), balance.balance(), "deduction", reason, usage, idempotencyKey, userId);
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
                        throw LedgerRows.whyNotRedeemable(connection, code);
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
            Credits amount = discountType.equals("fixed") ? Credits.ofExact(discountValue)
                    : LedgerRows.percentOfLatestTopUp(connection, userId, discountValue);
            BalanceCache.Versioned balance = LedgerRows.creditAccount(connection, userId, amount);
            String metadata = "{\"coupon_id\":\"" + couponId + "\",\"discount_type\":\"" + discountType + "\"}";
            UUID id = LedgerRows.record(connection, userId, amount, balance.balance(), "coupon", "coupon " + code,
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
            try {
                LedgerReceipt receipt = Transactions.inTransaction(dataSource, connection -> {
                    LedgerRows.openAccount(connection, userId);
                    Optional<LedgerReceipt> earlier = idempotencyKey.isPresent()
                            ? LedgerRows.earlierReceipt(connection, userId, idempotencyKey.get(), signedAmount, type) : Optional.empty();
                    return earlier.isPresent() ? earlier.get() : booking.apply(connection);
                });
                if (receipt.replayed()) {
                    count(type, "replayed");
                } else {
                    count(type, "booked");
                    cache.put(userId, receipt.newBalance(), receipt.balanceVersion());
                }
                return receipt;
            } catch (SQLException e) {
                if (SqlFailures.isUniqueViolation(e) && idempotencyKey.isPresent() && attempt == 1) {
                    continue; // a concurrent request with the same key committed first: answer with its receipt
                }
                if (SqlFailures.isUniqueViolation(e) && type.equals("coupon")) {
                    throw new LedgerRefusal(LedgerRefusal.Reason.COUPON_ALREADY_REDEEMED, "coupon was already redeemed by this account");
                }
                throw e;
            } catch (LedgerRefusal refusal) {
                count(type, "refused");
                throw refusal;
            }
        }
    }

    private static void requirePositive(Credits amount) {
        if (!amount.isPositive()) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
    }
}
