package io.llmmetering.core.pricing;

import io.llmmetering.core.money.Credits;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CostCalculatorProperties {

    private static final PriceBook BOOK = PriceBookReader.defaultPriceBook();
    private final CostCalculator calculator = new CostCalculator(BOOK);

    @Provide
    Arbitrary<String> models() {
        return Arbitraries.of(BOOK.models().stream().map(PricedModel::model).toList());
    }

    @Provide
    Arbitrary<String> powerLevels() {
        return Arbitraries.of(BOOK.powerLevels().stream().map(PowerLevel::name).toList());
    }

    @Provide
    Arbitrary<String> tiers() {
        return Arbitraries.of(BOOK.tiers().stream().map(Tier::name).toList());
    }

    @Property
    void costIsMonotonicInTokens(@ForAll("models") String model, @ForAll("powerLevels") String power, @ForAll("tiers") String tier,
                                 @ForAll @LongRange(max = 10_000_000) long tokens, @ForAll @LongRange(max = 10_000) long more) {
        Credits fewer = calculator.costOfTokens(model, tokens, power, tier);
        Credits larger = calculator.costOfTokens(model, tokens + more, power, tier);
        assertThat(larger).isGreaterThanOrEqualTo(fewer);
    }

    @Property
    void outputTokensNeverCostLessThanNothing(@ForAll("models") String model, @ForAll @LongRange(max = 10_000_000) long in,
                                              @ForAll @LongRange(max = 10_000_000) long out) {
        Credits cost = calculator.costOfUsage(model, TokenUsage.of(in, out), null, null);
        assertThat(cost.isNegative()).isFalse();
        assertThat(calculator.costOfUsage(model, TokenUsage.of(in, out + 1), null, null)).isGreaterThanOrEqualTo(cost);
    }

    /** Each cost is rounded once by at most half a nano-credit, so a sum of two costs differs from the cost of the sum by at most 1. */
    @Property
    void costOfASumIsTheSumOfCostsWithinTheRoundingBound(@ForAll("models") String model, @ForAll("powerLevels") String power,
                                                         @ForAll("tiers") String tier,
                                                         @ForAll @LongRange(max = 50_000_000) long a, @ForAll @LongRange(max = 50_000_000) long b) {
        long together = calculator.costOfTokens(model, a + b, power, tier).nanos();
        long apart = calculator.costOfTokens(model, a, power, tier).plus(calculator.costOfTokens(model, b, power, tier)).nanos();
        assertThat(Math.abs(together - apart)).isLessThanOrEqualTo(1);
    }

    @Property
    void splittingACallIntoInputAndOutputPartsKeepsTheRoundingBound(@ForAll("models") String model,
                                                                    @ForAll @LongRange(max = 50_000_000) long in,
                                                                    @ForAll @LongRange(max = 50_000_000) long out) {
        long whole = calculator.costOfUsage(model, TokenUsage.of(in, out), "precision", "professional").nanos();
        long parts = calculator.costOfUsage(model, TokenUsage.of(in, 0), "precision", "professional").nanos()
                + calculator.costOfUsage(model, TokenUsage.of(0, out), "precision", "professional").nanos();
        assertThat(Math.abs(whole - parts)).isLessThanOrEqualTo(1);
    }

    @Property
    void higherTiersNeverCostLess(@ForAll("models") String model, @ForAll @LongRange(max = 10_000_000) long tokens) {
        List<Credits> byTier = List.of("free", "starter", "professional", "enterprise").stream()
                .map(tier -> calculator.costOfTokens(model, tokens, null, tier)).toList();
        assertThat(byTier).isSorted();
    }

    @Property
    void noOverflowAnywhereInTheValidRange(@ForAll("models") String model, @ForAll("powerLevels") String power, @ForAll("tiers") String tier,
                                           @ForAll @LongRange(max = TokenUsage.MAX_TOKENS_PER_CALL) long in,
                                           @ForAll @LongRange(max = TokenUsage.MAX_TOKENS_PER_CALL) long out) {
        assertThat(calculator.costOfUsage(model, TokenUsage.of(in, out), power, tier).isNegative()).isFalse();
    }
}
