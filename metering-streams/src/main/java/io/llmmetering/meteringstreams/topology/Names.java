package io.llmmetering.meteringstreams.topology;

/** Processor and store names: stable on purpose, because changelog topics and metrics are named after them. */
final class Names {
    static final String USAGE_EVENTS_SOURCE = "usage-events-source";
    static final String VALIDATE = "validate-events";
    static final String DEDUPE = "dedupe-event-ids";
    static final String PRICE = "price-events";
    static final String DEBITS_SINK = "debits-sink";
    static final String DLQ_SINK = "dead-letter-sink";

    static final String MODEL_PRICES_SOURCE = "pricing-models-source";
    static final String MODEL_PRICES_UPDATER = "update-model-prices";
    static final String ACCOUNTS_SOURCE = "credit-accounts-source";
    static final String ACCOUNTS_UPDATER = "update-account-states";

    static final String DEDUPE_STORE = "dedupe-event-ids";
    static final String MODEL_PRICES_STORE = "model-prices";
    static final String ACCOUNT_STATES_STORE = "account-states";

    private Names() {
    }
}
