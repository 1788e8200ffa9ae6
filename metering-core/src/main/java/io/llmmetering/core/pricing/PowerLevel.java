package io.llmmetering.core.pricing;

import java.math.BigDecimal;

/** How much model the caller asked for ({@code eco}, {@code balanced}, {@code precision}) and what it multiplies. */
public record PowerLevel(String name, BigDecimal multiplier) {

    /** Events and quotes that name no power level are priced at this one. */
    public static final String DEFAULT_NAME = "balanced";

    public PowerLevel {
        Multiplier.requireName("power level", name);
        multiplier = Multiplier.requirePositive("power level '" + name + "'", multiplier);
    }
}
