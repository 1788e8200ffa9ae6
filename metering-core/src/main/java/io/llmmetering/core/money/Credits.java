package io.llmmetering.core.money;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * An exact amount of credits, held as a count of nano-credits (1 credit = 10^9 nano-credits).
 *
 * <p>Arithmetic is overflow-checked: a result outside {@code long} throws instead of wrapping, because
 * a wrapped balance is a silent, unbounded accounting error. The largest amount is about 9.2 billion
 * credits, which is far above any prepaid balance. Conversions from decimals with more than nine
 * fractional digits either fail ({@link #parse}, {@link #ofExact}) or round once, half-even, as the
 * caller says ({@link #of(BigDecimal, RoundingMode)}). There is no conversion from or to {@code double}.
 */
public record Credits(long nanos) implements Comparable<Credits> {

    public static final int SCALE = 9;
    public static final long NANOS_PER_CREDIT = 1_000_000_000L;
    public static final Credits ZERO = new Credits(0);

    private static final BigDecimal MAX_DECIMAL = BigDecimal.valueOf(Long.MAX_VALUE, SCALE);
    private static final BigDecimal MIN_DECIMAL = BigDecimal.valueOf(Long.MIN_VALUE, SCALE);
    /** Longest decimal text we accept: 19 digits, a sign, a point, an exponent; anything longer is hostile. */
    private static final int MAX_TEXT_LENGTH = 64;

    public static Credits ofNanos(long nanos) {
        return new Credits(nanos);
    }

    public static Credits ofWhole(long credits) {
        return new Credits(Math.multiplyExact(credits, NANOS_PER_CREDIT));
    }

    /**
     * Exactly {@code amount}; fails if it has more than nine fractional digits or does not fit. The checks read
     * the exponent before anything is expanded: a decimal such as {@code 1E-50000000} would otherwise be
     * rescaled, or printed, digit by digit (fifty million of them).
     */
    public static Credits ofExact(BigDecimal amount) {
        if (amount.signum() == 0) {
            return ZERO;
        }
        BigDecimal stripped = amount.stripTrailingZeros();
        if (stripped.scale() > SCALE) {
            throw new InvalidAmountException("amount " + brief(amount)
                    + " has more than " + SCALE + " decimal places (the smallest unit is 0.000000001)");
        }
        requireInRange(stripped);
        return new Credits(toNanos(stripped.setScale(SCALE)));
    }

    /** {@code amount} rounded once to a nano-credit with {@code rounding}. */
    public static Credits of(BigDecimal amount, RoundingMode rounding) {
        if (amount.signum() == 0) {
            return ZERO;
        }
        BigDecimal stripped = amount.stripTrailingZeros();
        requireInRange(stripped);
        if ((long) stripped.scale() - stripped.precision() > SCALE + 1) {
            // below a tenth of a nano-credit: every rounding mode treats it as it treats 10^-11 of the same sign
            stripped = BigDecimal.valueOf(stripped.signum(), SCALE + 2);
        }
        return new Credits(toNanos(stripped.setScale(SCALE, rounding)));
    }

    /** No value of 20 or more integer digits fits; this test reads only the exponent. */
    private static void requireInRange(BigDecimal stripped) {
        if ((long) stripped.precision() - stripped.scale() > 19) {
            throw new InvalidAmountException("amount " + brief(stripped) + " is out of range");
        }
    }

    /** The amount as short text for a message: scientific notation, cut to 40 characters. */
    private static String brief(BigDecimal amount) {
        String text = amount.toString();
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }

    /**
     * Parses a plain or scientific decimal such as {@code "0.00375"} or {@code "-12"}; rejects text that is
     * not a number, too long, or finer than a nano-credit.
     */
    public static Credits parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidAmountException("amount is empty");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new InvalidAmountException("amount text is longer than " + MAX_TEXT_LENGTH + " characters");
        }
        BigDecimal decimal;
        try {
            decimal = new BigDecimal(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidAmountException("amount '" + text + "' is not a decimal number");
        }
        if (Math.abs((long) decimal.scale()) > 1_000) {
            throw new InvalidAmountException("amount '" + text + "' has an absurd exponent");
        }
        return ofExact(decimal);
    }

    private static long toNanos(BigDecimal scaledToNine) {
        if (scaledToNine.compareTo(MAX_DECIMAL) > 0 || scaledToNine.compareTo(MIN_DECIMAL) < 0) {
            throw new InvalidAmountException("amount " + scaledToNine.toPlainString() + " is out of range");
        }
        return scaledToNine.unscaledValue().longValueExact();
    }

    public Credits plus(Credits other) {
        return new Credits(Math.addExact(nanos, other.nanos));
    }

    public Credits minus(Credits other) {
        return new Credits(Math.subtractExact(nanos, other.nanos));
    }

    public Credits negate() {
        return new Credits(Math.negateExact(nanos));
    }

    public Credits times(long factor) {
        return new Credits(Math.multiplyExact(nanos, factor));
    }

    public boolean isNegative() {
        return nanos < 0;
    }

    public boolean isZero() {
        return nanos == 0;
    }

    public boolean isPositive() {
        return nanos > 0;
    }

    public boolean isLessThan(Credits other) {
        return nanos < other.nanos;
    }

    /** Exact decimal value with trailing zeros removed (scale at least 0), as PostgreSQL and JSON want it. */
    public BigDecimal toBigDecimal() {
        BigDecimal value = BigDecimal.valueOf(nanos, SCALE).stripTrailingZeros();
        return value.scale() < 0 ? value.setScale(0) : value;
    }

    /** Plain decimal text, e.g. {@code "0.00375"}, {@code "100"}, {@code "-0.000000001"}. */
    @Override
    public String toString() {
        return toBigDecimal().toPlainString();
    }

    @Override
    public int compareTo(Credits other) {
        return Long.compare(nanos, other.nanos);
    }
}
