package io.llmmetering.core.pricing;

import java.util.Collection;

public final class UnknownPowerLevelException extends PricingException {
    public UnknownPowerLevelException(String powerLevel, Collection<String> known) {
        super("power level '" + powerLevel + "' is unknown; known levels: " + known);
    }

    @Override
    public String reason() {
        return "unknown_power_level";
    }
}
