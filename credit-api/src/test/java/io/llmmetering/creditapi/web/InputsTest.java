package io.llmmetering.creditapi.web;

import io.llmmetering.core.money.Credits;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InputsTest {

    @Test
    void moneyIsWrittenExactlyInPlainNotationWithAtLeastOneDecimal() {
        assertThat(Inputs.amount(Credits.ofWhole(100)).toString()).isEqualTo("100.0");
        assertThat(Inputs.amount(Credits.parse("0.00375")).toString()).isEqualTo("0.00375");
        assertThat(Inputs.amount(Credits.ZERO).toString()).isEqualTo("0.0");
        assertThat(Inputs.amount(Credits.parse("-10")).toString()).isEqualTo("-10.0");
        assertThat(Inputs.amount(Credits.ofNanos(1)).toPlainString()).isEqualTo("0.000000001");
    }

    @Test
    void amountsMustBePositiveExactToANanoCreditAndBounded() {
        assertThat(Inputs.positiveAmount("amount", new BigDecimal("0.000000001"))).isEqualTo(Credits.ofNanos(1));
        assertThat(Inputs.positiveAmount("amount", new BigDecimal("1E+9"))).isEqualTo(Credits.ofWhole(1_000_000_000));
        for (String bad : new String[]{"0", "-0.0", "-1", "0.0000000001", "1000000000.000000001", "1E+400"}) {
            assertThatThrownBy(() -> Inputs.positiveAmount("amount", new BigDecimal(bad))).as(bad).isInstanceOf(ApiProblem.class)
                    .extracting(e -> ((ApiProblem) e).type()).isEqualTo(io.llmmetering.core.problems.ProblemType.VALIDATION);
        }
        assertThatThrownBy(() -> Inputs.positiveAmount("amount", null)).hasMessageContaining("required");
    }

    @Test
    void userIdsAndKeysRefuseControlCharactersAndExcessLength() {
        assertThat(Inputs.userId("user_id", "用户@例え.jp")).isEqualTo("用户@例え.jp");
        assertThatThrownBy(() -> Inputs.userId("user_id", "a\u0000b")).isInstanceOf(ApiProblem.class);
        assertThatThrownBy(() -> Inputs.userId("user_id", "x".repeat(256))).isInstanceOf(ApiProblem.class);
        assertThatThrownBy(() -> Inputs.userId("user_id", " ")).isInstanceOf(ApiProblem.class);
        assertThat(Inputs.idempotencyKey("order-42")).contains("order-42");
        assertThatThrownBy(() -> Inputs.idempotencyKey("has space")).isInstanceOf(ApiProblem.class);
        assertThatThrownBy(() -> Inputs.name("tier", "Pro")).isInstanceOf(ApiProblem.class);
    }
}
