package io.llmmetering.core.pricing;

/** A request that cannot be priced. Each cause has its own subtype so callers can answer it precisely. */
public abstract sealed class PricingException extends RuntimeException
        permits UnknownModelException, UnknownPowerLevelException, UnknownTierException, InvalidUsageException {

    PricingException(String message) {
        super(message);
    }

    /** A stable, machine-readable name of the refusal, used in problem types and DLQ reasons. */
    public abstract String reason();
}
