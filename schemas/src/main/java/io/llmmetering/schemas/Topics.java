package io.llmmetering.schemas;

/** The names of our topics, in one place: they are a contract with operators' scripts and dashboards. */
public final class Topics {
    public static final String USAGE_EVENTS = "usage.events";
    public static final String USAGE_EVENTS_DLQ = "usage.events.dlq";
    public static final String PRICING_MODELS = "pricing.models";
    public static final String CREDIT_ACCOUNTS = "credit.accounts";
    public static final String CREDIT_DEBITS = "credit.debits";
    public static final String CREDIT_DEBITS_DLQ = "credit.debits.dlq";
    public static final String CREDIT_ALERTS = "credit.alerts";

    private Topics() {
    }
}
