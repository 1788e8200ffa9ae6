package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * An account as the spend rule sees it, in Java: what {@link SpendRule} says in SQL, for the places that judge
 * requests one after another in memory (a batch of holds and deducts judged in arrival order under the account
 * locks) and that explain a refusal. Both must agree; {@code SpendBatchTest} and the spend tests check them on the
 * same cases.
 *
 * @param monthToDateSpend this month's spend (zero when the stored spend is of an earlier month)
 * @param monthlyCap       empty when the account has no cap
 */
public record SpendableAccount(Credits balance, Credits held, String status, Optional<Credits> monthlyCap, Credits monthToDateSpend,
                               long balanceVersion) {

    /** An account that has never been opened: nothing to spend, nothing held, no cap. */
    public static final SpendableAccount NONE = new SpendableAccount(Credits.ZERO, Credits.ZERO, "active", Optional.empty(), Credits.ZERO, 0);

    /** The account in the columns {@link SpendRule#SPENDABLE_ACCOUNT}, from {@code first} on. */
    public static SpendableAccount read(ResultSet row, int first) throws SQLException {
        BigDecimal cap = row.getBigDecimal(first + 3);
        return new SpendableAccount(Credits.ofExact(row.getBigDecimal(first)), Credits.ofExact(row.getBigDecimal(first + 1)),
                row.getString(first + 2), Optional.ofNullable(cap).map(Credits::ofExact), Credits.ofExact(row.getBigDecimal(first + 4)),
                row.getLong(first + 5));
    }

    /** The balance less active holds. */
    public Credits available() {
        return balance.minus(held);
    }

    /** Why the account may not spend {@code amount} now; empty when it may. */
    public Optional<LedgerRefusal.Reason> refusal(Credits amount) {
        if (!status.equals("active")) {
            return Optional.of(LedgerRefusal.Reason.ACCOUNT_SUSPENDED);
        }
        if (available().isLessThan(amount)) {
            return Optional.of(LedgerRefusal.Reason.INSUFFICIENT_CREDITS);
        }
        if (monthlyCap.isPresent() && monthToDateSpend.plus(held).plus(amount).compareTo(monthlyCap.get()) > 0) {
            return Optional.of(LedgerRefusal.Reason.MONTHLY_CAP_REACHED);
        }
        return Optional.empty();
    }

    /** The refusal a hold of {@code estimate} gets, as the client reads it; call only when {@link #refusal} is present. */
    public LedgerRefusal refusedHold(Credits estimate) {
        LedgerRefusal.Reason reason = refusal(estimate).orElseThrow();
        return new LedgerRefusal(reason, switch (reason) {
            case ACCOUNT_SUSPENDED -> "the account is suspended";
            case MONTHLY_CAP_REACHED -> "this month's spend plus active holds would pass the monthly cap";
            default -> "available " + available() + " (balance minus active holds) is less than the estimate " + estimate;
        });
    }

    /** The refusal a deduct of {@code amount} gets, as the client reads it; call only when {@link #refusal} is present. */
    public LedgerRefusal refusedDeduct(Credits amount) {
        LedgerRefusal.Reason reason = refusal(amount).orElseThrow();
        return new LedgerRefusal(reason, switch (reason) {
            case ACCOUNT_SUSPENDED -> "the account is " + status;
            case MONTHLY_CAP_REACHED -> "month-to-date spend " + monthToDateSpend + " plus " + amount + " would exceed the monthly cap "
                    + monthlyCap.orElseThrow();
            default -> held.isZero()
                    ? "balance " + balance + " is less than the amount " + amount
                    : "available " + available() + " (balance " + balance + " less " + held
                            + " held for calls in flight) is less than the amount " + amount;
        });
    }

    /** The account after a hold of {@code amount}. */
    public SpendableAccount holding(Credits amount) {
        return new SpendableAccount(balance, held.plus(amount), status, monthlyCap, monthToDateSpend, balanceVersion);
    }

    /** The account after a deduct of {@code amount}: a new balance version, this month's spend grown by it. */
    public SpendableAccount deducted(Credits amount) {
        return new SpendableAccount(balance.minus(amount), held, status, monthlyCap, monthToDateSpend.plus(amount), balanceVersion + 1);
    }
}
