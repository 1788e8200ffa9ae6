package io.llmmetering.core.pricing;

import io.llmmetering.core.money.Credits;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The seed's cost formula, exact: {@code cost = tokens / 1000 * base_cost * power_multiplier * tier_multiplier}.
 *
 * <p>The whole product is computed as an exact decimal and rounded once, half-even, to a nano-credit.
 * Input, cached input and output tokens are priced at their own rates and summed before that single
 * rounding, so the cost of one call carries at most half a nano-credit of rounding error.
 */
public final class CostCalculator {

    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
    private final PriceBook priceBook;

    public CostCalculator(PriceBook priceBook) {
        this.priceBook = priceBook;
    }

    public PriceBook priceBook() {
        return priceBook;
    }

    /** Cost of one call with separate input, cached-input and output counts. */
    public Credits costOfUsage(String model, TokenUsage usage, String powerLevel, String tier) {
        PricedModel price = priceBook.model(model);
        BigDecimal multipliers = multipliers(powerLevel, tier);
        long uncachedInput = usage.inputTokens() - usage.cachedInputTokens();
        BigDecimal tokenCost = price.inputPer1k().multiply(BigDecimal.valueOf(uncachedInput))
                .add(price.effectiveCachedInputPer1k().multiply(BigDecimal.valueOf(usage.cachedInputTokens())))
                .add(price.outputPer1k().multiply(BigDecimal.valueOf(usage.outputTokens())));
        return Credits.of(perToken(tokenCost.multiply(multipliers)), RoundingMode.HALF_EVEN);
    }

    /** Cost of a bare {@code tokens_used} count, at the model's blended rate. */
    public Credits costOfTokens(String model, long tokensUsed, String powerLevel, String tier) {
        TokenUsage.requireCount("tokens_used", tokensUsed);
        PricedModel price = priceBook.model(model);
        BigDecimal multipliers = multipliers(powerLevel, tier);
        BigDecimal tokens = BigDecimal.valueOf(tokensUsed);
        BigDecimal exact = price.blendedPer1k()
                .map(blended -> perToken(blended.multiply(tokens).multiply(multipliers)))
                .orElse(null);
        if (exact != null) {
            return Credits.of(exact, RoundingMode.HALF_EVEN);
        }
        // (5 * input + output) / 6 is not always a finite decimal: divide once, at the rounding step.
        BigDecimal numerator = price.inputPer1k().multiply(PricedModel.BLEND_INPUT_WEIGHT).add(price.outputPer1k())
                .multiply(tokens).multiply(multipliers);
        BigDecimal quotient = numerator.divide(PricedModel.BLEND_DIVISOR.multiply(THOUSAND), Credits.SCALE, RoundingMode.HALF_EVEN);
        return Credits.ofExact(quotient);
    }

    /**
     * Prices are per 1,000 tokens: moving the point is exact and costs nothing, where {@code divide(1000)}
     * searched for the exact quotient by long division (5 % of the stream thread's samples in a profile).
     */
    private static BigDecimal perToken(BigDecimal per1kTimesTokens) {
        return per1kTimesTokens.movePointLeft(3);
    }

    private BigDecimal multipliers(String powerLevel, String tier) {
        return priceBook.powerLevel(powerLevel).multiplier().multiply(priceBook.tier(tier).multiplier());
    }
}
