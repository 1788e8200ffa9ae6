package io.llmmetering.core.pricing;

/** The model has no price in the price book; pricing it at zero would give away free calls. */
public final class UnknownModelException extends PricingException {
    private final String model;

    public UnknownModelException(String model) {
        super("model '" + model + "' has no price in the price book");
        this.model = model;
    }

    public String model() {
        return model;
    }

    @Override
    public String reason() {
        return "unknown_model";
    }
}
