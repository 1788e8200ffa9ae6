package io.llmmetering.core.pricing;

/** Token counts that no real call produces: negative, absurdly large, or more cached than input tokens. */
public final class InvalidUsageException extends PricingException {
    public InvalidUsageException(String message) {
        super(message);
    }

    @Override
    public String reason() {
        return "invalid_usage";
    }
}
