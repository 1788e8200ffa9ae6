package io.llmmetering.core.money;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

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

    /** The API hands decimals that Jackson or Spring already parsed straight to ofExact: no text length limit helps there. */
    @Tag("security")
    @ParameterizedTest
    @ValueSource(strings = {"1E-1000000000", "1E+1000000000", "-1E-50000000", "-1E+50000000", "123456789E-999999999",
            "1E-2147483647", "1E+2147483647"})
    void refusesHostileExponentsOfParsedDecimalsWithoutExpandingThem(String text) {
        BigDecimal hostile = new BigDecimal(text);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertThatThrownBy(() -> Credits.ofExact(hostile)).isInstanceOf(InvalidAmountException.class)
                    .hasMessageContaining("E").satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
            if (hostile.scale() < 0) {
                assertThatThrownBy(() -> Credits.of(hostile, RoundingMode.HALF_EVEN)).isInstanceOf(InvalidAmountException.class);
            } else {
                Credits rounded = Credits.of(hostile, RoundingMode.UP);
                assertThat(rounded.nanos()).isEqualTo(hostile.signum());
                assertThat(Credits.of(hostile, RoundingMode.HALF_EVEN)).isEqualTo(Credits.ZERO);
            }
        });
    }

    @Test
    void keepsExactAmountsWrittenWithExponentsOrTrailingZeros() {
        assertThat(Credits.ofExact(new BigDecimal("375E-5")).nanos()).isEqualTo(3_750_000);
        assertThat(Credits.ofExact(new BigDecimal("1.500000000000000000000")).nanos()).isEqualTo(1_500_000_000);
        assertThat(Credits.ofExact(new BigDecimal("12E+3")).nanos()).isEqualTo(12_000_000_000_000L);
        assertThat(Credits.ofExact(new BigDecimal("0E-50000000"))).isEqualTo(Credits.ZERO);
        assertThat(Credits.ofExact(new BigDecimal("9223372036.854775807")).nanos()).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> Credits.ofExact(new BigDecimal("9223372036.854775808"))).isInstanceOf(InvalidAmountException.class);
        assertThatThrownBy(() -> Credits.ofExact(new BigDecimal("1E+19"))).isInstanceOf(InvalidAmountException.class);
        assertThatThrownBy(() -> Credits.ofExact(new BigDecimal("0.0000000001"))).isInstanceOf(InvalidAmountException.class);
        assertThat(Credits.of(new BigDecimal("0.00000000004"), RoundingMode.HALF_UP)).isEqualTo(Credits.ZERO);
        assertThat(Credits.of(new BigDecimal("-0.00000000004"), RoundingMode.FLOOR).nanos()).isEqualTo(-1);
        assertThat(Credits.of(new BigDecimal("0.00000000006"), RoundingMode.HALF_UP).nanos()).isEqualTo(0);
        assertThat(Credits.of(new BigDecimal("0.0000000006"), RoundingMode.HALF_UP).nanos()).isEqualTo(1);
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
