package io.llmmetering.creditapi.webhooks;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.CreditAlert;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The webhook event of each {@code credit.alerts} alert: the same facts, amounts as exact decimals. A
 * reconciliation alert counts differences, not credits, and says which window it compared.
 */
public final class AlertEvents {

    private AlertEvents() {
    }

    public static List<WebhookOutbox.Message> messages(List<CreditAlert> alerts) {
        return alerts.stream().map(AlertEvents::message).toList();
    }

    public static WebhookOutbox.Message message(CreditAlert alert) {
        String type = WebhookEventTypes.ofAlertKind(alert.getKind());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("alert_id", alert.getAlertId());
        data.put("user_id", alert.getUserId());
        data.put("severity", alert.getSeverity());
        if (type.equals(WebhookEventTypes.RECONCILIATION_MISMATCH)) {
            data.put("differences", alert.getObservedNanos());
            data.put("window_start", alert.getWindowStart() == null ? null : alert.getWindowStart().toString());
            data.put("window_end", alert.getWindowEnd() == null ? null : alert.getWindowEnd().toString());
        } else {
            data.put("observed", Credits.ofNanos(alert.getObservedNanos()).toBigDecimal());
            data.put("threshold", Credits.ofNanos(alert.getThresholdNanos()).toBigDecimal());
        }
        data.put("message", alert.getMessage());
        return WebhookOutbox.Message.of(type, alert.getEmittedAt(), data);
    }
}
