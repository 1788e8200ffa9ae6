package io.llmmetering.core.pricing;

import java.util.Collection;

public final class UnknownTierException extends PricingException {
    public UnknownTierException(String tier, Collection<String> known) {
        super("tier '" + tier + "' is unknown; known tiers: " + known);
    }

    @Override
    public String reason() {
        return "unknown_tier";
    }
}
