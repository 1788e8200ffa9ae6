package io.llmmetering.creditapi.webhooks;

import java.util.List;

/** The events an endpoint can subscribe to: what the ledger and its jobs raise, and the test an admin sends. */
public final class WebhookEventTypes {

    public static final String BALANCE_LOW = "balance.low";
    public static final String SPEND_CAP_REACHED = "spend.cap_reached";
    public static final String SPEND_SPIKE = "spend.spike";
    public static final String HOLD_EXPIRED = "hold.expired";
    public static final String RECONCILIATION_MISMATCH = "reconciliation.mismatch";
    public static final String MODEL_UNPRICED = "model.unpriced";
    public static final String TEST = "webhook.test";

    public static final List<String> ALL = List.of(BALANCE_LOW, SPEND_CAP_REACHED, SPEND_SPIKE, HOLD_EXPIRED, RECONCILIATION_MISMATCH,
            MODEL_UNPRICED, TEST);

    private WebhookEventTypes() {
    }

    /** The event type of a {@code credit.alerts} kind: each alert the applier raises is also a webhook event. */
    public static String ofAlertKind(String kind) {
        return switch (kind) {
            case "low_balance" -> BALANCE_LOW;
            case "cap_reached" -> SPEND_CAP_REACHED;
            case "spend_spike" -> SPEND_SPIKE;
            case "reconciliation_mismatch" -> RECONCILIATION_MISMATCH;
            default -> throw new IllegalArgumentException("no webhook event for alert kind " + kind);
        };
    }
}
