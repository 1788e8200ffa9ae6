package io.llmmetering.core.pricing;

import io.llmmetering.core.money.Credits;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CostCalculatorTest {

    private final CostCalculator calculator = new CostCalculator(PriceBookReader.defaultPriceBook());

    @Test
    void seedExampleCostsExactly0_00375() {
        assertThat(calculator.costOfTokens("gpt-4o", 1000, "balanced", "free")).isEqualTo(Credits.parse("0.00375"));
    }

    @Test
    void missingPowerLevelAndTierArePricedAsBalancedAndFree() {
        assertThat(calculator.costOfTokens("gpt-4o", 1000, null, null)).isEqualTo(Credits.parse("0.00375"));
    }

    @Test
    void inputAndOutputTokensArePricedAtTheirOwnRates() {
        // gpt-4o: 2.50 per 1M input, 10.00 per 1M output
        Credits cost = calculator.costOfUsage("gpt-4o", TokenUsage.of(1200, 350), "balanced", "free");
        assertThat(cost).isEqualTo(Credits.parse("0.0065")); // 1200*0.0000025 + 350*0.00001
    }

    @Test
    void cachedInputTokensArePricedAtTheCachedRate() {
        // 1000 input of which 800 cached: 200*2.5e-6 + 800*1.25e-6 = 0.0015
        Credits cost = calculator.costOfUsage("gpt-4o", new TokenUsage(1000, 0, 800), null, "free");
        assertThat(cost).isEqualTo(Credits.parse("0.0015"));
    }

    @Test
    void cachedTokensOfAModelWithoutACachedRateCostTheInputRate() {
        Credits cached = calculator.costOfUsage("mistral-large-latest", new TokenUsage(1000, 0, 1000), null, null);
        Credits uncached = calculator.costOfUsage("mistral-large-latest", new TokenUsage(1000, 0, 0), null, null);
        assertThat(cached).isEqualTo(uncached);
    }

    @Test
    void tierAndPowerLevelMultiply() {
        // 0.00375 * 1.5 (precision) * 1.8 (enterprise) = 0.010125
        assertThat(calculator.costOfTokens("gpt-4o", 1000, "precision", "enterprise")).isEqualTo(Credits.parse("0.010125"));
        // 0.00375 * 0.75 (eco) * 1.4 (starter) = 0.0039375
        assertThat(calculator.costOfTokens("gpt-4o", 1000, "eco", "starter")).isEqualTo(Credits.parse("0.0039375"));
    }

    @Test
    void blendedRateThatIsNotAFiniteDecimalIsRoundedOnceHalfEven() {
        // claude-3-5-haiku: (5*0.0008 + 0.004)/6 = 0.008/6 per 1K tokens; 1 token -> 0.000001333... -> 0.000001333
        assertThat(calculator.costOfTokens("claude-3-5-haiku", 1, null, null)).isEqualTo(Credits.parse("0.000001333"));
        // 2 tokens -> 0.0000026666.. -> 0.000002667: one rounding of the whole product, not two roundings
        assertThat(calculator.costOfTokens("claude-3-5-haiku", 2, null, null)).isEqualTo(Credits.parse("0.000002667"));
    }

    @Test
    void aliasesAndGatewayPrefixesFindTheModel() {
        Credits base = calculator.costOfTokens("gpt-4o", 1000, null, null);
        assertThat(calculator.costOfTokens("gpt-4o-2024-08-06", 1000, null, null)).isEqualTo(base);
        assertThat(calculator.costOfTokens("openai/gpt-4o", 1000, null, null)).isEqualTo(base);
        assertThat(calculator.costOfTokens("GPT-4o", 1000, null, null)).isEqualTo(base);
    }

    @Test
    void zeroTokensCostNothing() {
        assertThat(calculator.costOfUsage("o1", TokenUsage.of(0, 0), null, null)).isEqualTo(Credits.ZERO);
    }

    @Test
    void unknownModelIsASpecificErrorNotAZeroPrice() {
        assertThatThrownBy(() -> calculator.costOfTokens("gpt-9-ultra", 1000, null, null))
                .isInstanceOfSatisfying(UnknownModelException.class, e -> {
                    assertThat(e.model()).isEqualTo("gpt-9-ultra");
                    assertThat(e.reason()).isEqualTo("unknown_model");
                });
        assertThatThrownBy(() -> calculator.costOfTokens("", 1000, null, null)).isInstanceOf(UnknownModelException.class);
        assertThatThrownBy(() -> calculator.costOfTokens(null, 1000, null, null)).isInstanceOf(UnknownModelException.class);
    }

    @Test
    void unknownPowerLevelIsASpecificError() {
        assertThatThrownBy(() -> calculator.costOfTokens("gpt-4o", 1000, "turbo", null))
                .isInstanceOf(UnknownPowerLevelException.class)
                .hasMessageContaining("turbo").hasMessageContaining("balanced");
    }

    @Test
    void unknownTierIsASpecificError() {
        assertThatThrownBy(() -> calculator.costOfTokens("gpt-4o", 1000, null, "platinum"))
                .isInstanceOf(UnknownTierException.class);
    }

    @Test
    void negativeTokenCountsAreRejected() {
        assertThatThrownBy(() -> calculator.costOfTokens("gpt-4o", -1, null, null)).isInstanceOf(InvalidUsageException.class);
        assertThatThrownBy(() -> TokenUsage.of(10, -5)).isInstanceOf(InvalidUsageException.class);
    }

    @Test
    void absurdTokenCountsAreRejected() {
        assertThatThrownBy(() -> TokenUsage.of(Long.MAX_VALUE, 0)).isInstanceOf(InvalidUsageException.class)
                .hasMessageContaining("at most");
    }

    @Test
    void moreCachedThanInputTokensIsRejected() {
        assertThatThrownBy(() -> new TokenUsage(10, 0, 11)).isInstanceOf(InvalidUsageException.class);
    }

    @Test
    void theLargestCallOnTheDearestModelAtTheHighestMarkupDoesNotOverflow() {
        long max = TokenUsage.MAX_TOKENS_PER_CALL;
        Credits cost = calculator.costOfUsage("claude-opus-4-1", new TokenUsage(max, max, 0), "precision", "enterprise");
        // (1e8 / 1000 * 0.015 + 1e8 / 1000 * 0.075) * 1.5 * 1.8 = 9,000 * 2.7 = 24,300 credits
        assertThat(cost).isEqualTo(Credits.ofWhole(24_300));
    }
}
