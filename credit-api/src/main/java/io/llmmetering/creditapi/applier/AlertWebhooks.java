package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.webhooks.WebhookEventTypes;
import io.llmmetering.creditapi.webhooks.WebhookOutbox;
import io.llmmetering.schemas.CreditAlert;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The webhook event of each alert: the same facts as the {@code credit.alerts} record, amounts as exact decimals. */
final class AlertWebhooks {

    private AlertWebhooks() {
    }

    static List<WebhookOutbox.Message> messages(List<CreditAlert> alerts) {
        return alerts.stream().map(AlertWebhooks::message).toList();
    }

    private static WebhookOutbox.Message message(CreditAlert alert) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("alert_id", alert.getAlertId());
        data.put("user_id", alert.getUserId());
        data.put("severity", alert.getSeverity());
        data.put("observed", Credits.ofNanos(alert.getObservedNanos()).toBigDecimal());
        data.put("threshold", Credits.ofNanos(alert.getThresholdNanos()).toBigDecimal());
        data.put("message", alert.getMessage());
        return WebhookOutbox.Message.of(WebhookEventTypes.ofAlertKind(alert.getKind()), alert.getEmittedAt(), data);
    }
}
