package io.llmmetering.core.money;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CreditsTest {

    @Test
    void parsesTheSeedsCostExactly() {
        assertThat(Credits.parse("0.00375").nanos()).isEqualTo(3_750_000L);
    }

    @Test
    void formatsAsPlainDecimalWithoutTrailingZeros() {
        assertThat(Credits.ofNanos(3_750_000L)).hasToString("0.00375");
        assertThat(Credits.ofWhole(100)).hasToString("100");
        assertThat(Credits.ofNanos(-1)).hasToString("-0.000000001");
        assertThat(Credits.ZERO).hasToString("0");
    }

    @Test
    void parsesScientificNotationExactly() {
        assertThat(Credits.parse("2.5E-3")).isEqualTo(Credits.ofNanos(2_500_000L));
    }

    @Test
    void rejectsAmountsFinerThanANanoCredit() {
        assertThatThrownBy(() -> Credits.parse("0.0000000001"))
                .isInstanceOf(InvalidAmountException.class)
                .hasMessageContaining("more than 9 decimal places");
    }

    @Test
    @Tag("security")
    void rejectsTextThatIsNotANumber() {
        assertThatThrownBy(() -> Credits.parse("ten")).isInstanceOf(InvalidAmountException.class);
        assertThatThrownBy(() -> Credits.parse("NaN")).isInstanceOf(InvalidAmountException.class);
        assertThatThrownBy(() -> Credits.parse("")).isInstanceOf(InvalidAmountException.class);
        assertThatThrownBy(() -> Credits.parse(null)).isInstanceOf(InvalidAmountException.class);
    }

    @Test
    @Tag("security")
    void rejectsHostileExponentsWithoutExpandingThem() {
        assertThatThrownBy(() -> Credits.parse("1E999999999")).isInstanceOf(InvalidAmountException.class);
        assertThatThrownBy(() -> Credits.parse("1".repeat(100))).isInstanceOf(InvalidAmountException.class);
    }

    @Test
    void rejectsAmountsBeyondTheRangeOfALong() {
        assertThatThrownBy(() -> Credits.parse("9223372037")).isInstanceOf(InvalidAmountException.class);
        assertThat(Credits.parse("9223372036.854775807").nanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void roundsHalfEvenWhenAskedTo() {
        assertThat(Credits.of(new BigDecimal("0.0000000005"), RoundingMode.HALF_EVEN)).isEqualTo(Credits.ZERO);
        assertThat(Credits.of(new BigDecimal("0.0000000015"), RoundingMode.HALF_EVEN)).isEqualTo(Credits.ofNanos(2));
        assertThat(Credits.of(new BigDecimal("-0.0000000025"), RoundingMode.HALF_EVEN)).isEqualTo(Credits.ofNanos(-2));
    }

    @Test
    void additionThatWouldOverflowThrowsInsteadOfWrapping() {
        Credits max = Credits.ofNanos(Long.MAX_VALUE);
        assertThatThrownBy(() -> max.plus(Credits.ofNanos(1))).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Credits.ofNanos(Long.MIN_VALUE).negate()).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> max.times(2)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void comparesByAmount() {
        assertThat(Credits.parse("1.5")).isGreaterThan(Credits.parse("1.499999999"));
        assertThat(Credits.parse("-1").isNegative()).isTrue();
        assertThat(Credits.parse("1.50")).isEqualTo(Credits.parse("1.5"));
    }

    @Test
    void toBigDecimalIsExactAndCompact() {
        assertThat(Credits.parse("40.000000000").toBigDecimal()).isEqualByComparingTo("40").hasScaleOf(0);
        assertThat(Credits.ofNanos(123_456_789_012L).toBigDecimal()).isEqualTo(new BigDecimal("123.456789012"));
    }
}
