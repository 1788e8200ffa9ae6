package io.llmmetering.core.pricing;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.Optional;

/**
 * List price of one model in credits per 1,000 tokens.
 *
 * @param cachedInputPer1k the discounted rate for cached input tokens, where the provider has one
 * @param blendedPer1k     the rate for a bare {@code tokens_used} count; when absent it is derived as
 *                         {@code (5 * input + output) / 6}, i.e. a 5:1 input:output mix typical of chat
 */
public record PricedModel(
        String model,
        String provider,
        BigDecimal inputPer1k,
        BigDecimal outputPer1k,
        Optional<BigDecimal> cachedInputPer1k,
        Optional<BigDecimal> blendedPer1k) {

    /**
     * The dearest rate any path may set (the admin endpoint, the native and LiteLLM price books, a record on
     * {@code pricing.models}). Bounded so that a price times the largest call a rule lets through stays far inside
     * a debit's long of nano-credits; a cost past it anyway (huge tier markups) is dead-lettered as cost_overflow.
     */
    public static final BigDecimal MAX_RATE_PER_1K = BigDecimal.valueOf(1_000_000);
    /** Finer than 10^-15 credits per 1,000 tokens is no price anyone sets, and the exact product stays small. */
    public static final int MAX_RATE_SCALE = 15;

    static final BigDecimal BLEND_INPUT_WEIGHT = BigDecimal.valueOf(5);
    static final BigDecimal BLEND_DIVISOR = BigDecimal.valueOf(6);

    public PricedModel {
        if (model == null || model.isBlank() || model.length() > 200) {
            throw new IllegalArgumentException("model id must be 1-200 characters, was '" + model + "'");
        }
        Objects.requireNonNull(provider, "provider");
        inputPer1k = requireRate(model, "input", inputPer1k);
        outputPer1k = requireRate(model, "output", outputPer1k);
        cachedInputPer1k = Objects.requireNonNull(cachedInputPer1k).map(rate -> requireRate(model, "cached input", rate));
        blendedPer1k = Objects.requireNonNull(blendedPer1k).map(rate -> requireRate(model, "blended", rate));
    }

    public static PricedModel of(String model, String provider, BigDecimal inputPer1k, BigDecimal outputPer1k) {
        return new PricedModel(model, provider, inputPer1k, outputPer1k, Optional.empty(), Optional.empty());
    }

    /** The rate for cached input tokens: the cached rate where there is one, else the input rate. */
    public BigDecimal effectiveCachedInputPer1k() {
        return cachedInputPer1k.orElse(inputPer1k);
    }

    /** True for a rate every path accepts: zero to {@link #MAX_RATE_PER_1K}, at most {@link #MAX_RATE_SCALE} decimals. */
    public static boolean isValidRate(BigDecimal rate) {
        return rate != null && rate.signum() >= 0 && rate.compareTo(MAX_RATE_PER_1K) <= 0
                && rate.stripTrailingZeros().scale() <= MAX_RATE_SCALE;
    }

    private static BigDecimal requireRate(String model, String what, BigDecimal rate) {
        if (!isValidRate(rate)) {
            // a bounded description: the plain form of 1e999999999 is a billion characters
            String shown = rate == null ? "null" : rate.precision() > 40 || Math.abs(rate.scale()) > 40 ? "out of range" : rate.toPlainString();
            throw new IllegalArgumentException(what + " price of '" + model + "' must be 0 to " + MAX_RATE_PER_1K
                    + " credits per 1K tokens with at most " + MAX_RATE_SCALE + " decimals, was " + shown);
        }
        return rate.stripTrailingZeros();
    }
}
