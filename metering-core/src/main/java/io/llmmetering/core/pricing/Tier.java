package io.llmmetering.core.pricing;

import java.math.BigDecimal;

/** An account tier ({@code free}, {@code starter}, {@code professional}, {@code enterprise}) and its markup multiplier. */
public record Tier(String name, BigDecimal multiplier) {

    public static final String DEFAULT_NAME = "free";

    public Tier {
        Multiplier.requireName("tier", name);
        multiplier = Multiplier.requirePositive("tier '" + name + "'", multiplier);
    }
}
