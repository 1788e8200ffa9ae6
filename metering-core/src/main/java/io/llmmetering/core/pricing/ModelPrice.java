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
public record ModelPrice(
        String model,
        String provider,
        BigDecimal inputPer1k,
        BigDecimal outputPer1k,
        Optional<BigDecimal> cachedInputPer1k,
        Optional<BigDecimal> blendedPer1k) {

    static final BigDecimal BLEND_INPUT_WEIGHT = BigDecimal.valueOf(5);
    static final BigDecimal BLEND_DIVISOR = BigDecimal.valueOf(6);

    public ModelPrice {
        if (model == null || model.isBlank() || model.length() > 200) {
            throw new IllegalArgumentException("model id must be 1-200 characters, was '" + model + "'");
        }
        Objects.requireNonNull(provider, "provider");
        inputPer1k = requireRate(model, "input", inputPer1k);
        outputPer1k = requireRate(model, "output", outputPer1k);
        cachedInputPer1k = Objects.requireNonNull(cachedInputPer1k).map(rate -> requireRate(model, "cached input", rate));
        blendedPer1k = Objects.requireNonNull(blendedPer1k).map(rate -> requireRate(model, "blended", rate));
    }

    public static ModelPrice of(String model, String provider, BigDecimal inputPer1k, BigDecimal outputPer1k) {
        return new ModelPrice(model, provider, inputPer1k, outputPer1k, Optional.empty(), Optional.empty());
    }

    /** The rate for cached input tokens: the cached rate where there is one, else the input rate. */
    public BigDecimal effectiveCachedInputPer1k() {
        return cachedInputPer1k.orElse(inputPer1k);
    }

    private static BigDecimal requireRate(String model, String what, BigDecimal rate) {
        if (rate == null || rate.signum() < 0) {
            throw new IllegalArgumentException(what + " price of '" + model + "' must be zero or positive, was " + rate);
        }
        return rate.stripTrailingZeros();
    }
}
