package io.llmmetering.core.money;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

import java.math.BigDecimal;
import java.math.RoundingMode;

import static org.assertj.core.api.Assertions.assertThat;

class CreditsProperties {

    @Property
    void formattingThenParsingGivesTheSameAmount(@ForAll long nanos) {
        Credits amount = Credits.ofNanos(nanos);
        assertThat(Credits.parse(amount.toString())).isEqualTo(amount);
    }

    @Property
    void decimalValueIsNanosOverOneBillion(@ForAll long nanos) {
        assertThat(Credits.ofNanos(nanos).toBigDecimal())
                .isEqualByComparingTo(BigDecimal.valueOf(nanos).divide(BigDecimal.valueOf(1_000_000_000L)));
    }

    @Property
    void additionIsExactWhereItFits(@ForAll @LongRange(min = -4_000_000_000_000_000_000L, max = 4_000_000_000_000_000_000L) long a,
                                    @ForAll @LongRange(min = -4_000_000_000_000_000_000L, max = 4_000_000_000_000_000_000L) long b) {
        Credits sum = Credits.ofNanos(a).plus(Credits.ofNanos(b));
        assertThat(sum.toBigDecimal()).isEqualByComparingTo(Credits.ofNanos(a).toBigDecimal().add(Credits.ofNanos(b).toBigDecimal()));
        assertThat(sum.minus(Credits.ofNanos(b))).isEqualTo(Credits.ofNanos(a));
    }

    @Property
    void arithmeticNeverWrapsSilently(@ForAll long a, @ForAll long b) {
        BigDecimal exact = BigDecimal.valueOf(a).add(BigDecimal.valueOf(b));
        boolean fits = exact.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0 && exact.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) >= 0;
        try {
            long sum = Credits.ofNanos(a).plus(Credits.ofNanos(b)).nanos();
            assertThat(fits).isTrue();
            assertThat(BigDecimal.valueOf(sum)).isEqualByComparingTo(exact);
        } catch (ArithmeticException overflow) {
            assertThat(fits).isFalse();
        }
    }

    @Property
    void halfEvenRoundingIsWithinHalfANanoCredit(@ForAll @LongRange(min = -1_000_000_000_000L, max = 1_000_000_000_000L) long picoTenths) {
        // an amount with 13 fractional digits, rounded to 9
        BigDecimal amount = BigDecimal.valueOf(picoTenths, 13);
        Credits rounded = Credits.of(amount, RoundingMode.HALF_EVEN);
        BigDecimal error = rounded.toBigDecimal().subtract(amount).abs();
        assertThat(error).isLessThanOrEqualTo(new BigDecimal("0.0000000005"));
    }
}
