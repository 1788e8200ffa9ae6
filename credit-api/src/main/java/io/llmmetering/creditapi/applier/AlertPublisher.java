package io.llmmetering.creditapi.applier;

import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.CreditAlert;
import io.llmmetering.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.llmmetering.creditapi.webhooks.AlertEvents;
import io.llmmetering.creditapi.webhooks.WebhookOutbox;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The alerts of a committed batch (the balance crossings and caps reached it raised in its transaction, and the
 * spend spikes this applier's history sees in it) to {@code credit.alerts}, without waiting: an alert lost to a
 * broker failure is logged, the ledger is not held up for it. Spikes go to the webhook outbox here, in a
 * transaction of their own (the batch's ones are there already). Each alert is counted by kind
 * ({@code credit_alerts_raised_total}), what the alert rules watch.
 */
final class AlertPublisher {

    private static final Logger log = LoggerFactory.getLogger(AlertPublisher.class);

    private final WebhookOutbox outbox;
    private final SpendSpikes spikes;
    private final Producer<String, byte[]> producer;
    private final MeterRegistry registry;
    private final AvroSerde<CreditAlert> serde = AvroSerde.of(CreditAlert.class);

    AlertPublisher(ApplierSettings settings, Producer<String, byte[]> producer, MeterRegistry registry, WebhookOutbox outbox) {
        this.outbox = outbox;
        this.spikes = new SpendSpikes(settings.spikes());
        this.producer = producer;
        this.registry = registry;
        // registered at zero, so an alert rule's increase() sees the first crossing
        for (String kind : List.of(CreditAlerts.LOW_BALANCE, CreditAlerts.CAP_REACHED, SpendSpikes.KIND)) {
            raised(kind);
        }
    }

    void afterBatch(AppliedBatch batch, Instant now) {
        List<CreditAlert> spiked = spikes.afterBatch(batch.charges(), now);
        if (!spiked.isEmpty()) {
            try {
                outbox.enqueue(AlertEvents.messages(spiked));
            } catch (SQLException e) {
                log.warn("spend spike webhooks not queued alerts={} error={}", spiked.size(), e.toString());
            }
        }
        List<CreditAlert> alerts = new ArrayList<>(batch.alerts());
        alerts.addAll(spiked);
        for (CreditAlert alert : alerts) {
            raised(alert.getKind()).increment();
            producer.send(new ProducerRecord<>(Topics.CREDIT_ALERTS, alert.getUserId(), serde.serialize(Topics.CREDIT_ALERTS, alert)),
                    (metadata, error) -> {
                        if (error != null) {
                            log.warn("credit alert not published user={} kind={} error={}", alert.getUserId(), alert.getKind(), error.toString());
                        }
                    });
        }
    }

    private Counter raised(String kind) {
        return Counter.builder("credit.alerts.raised").tag("kind", kind)
                .description("alerts raised on credit.alerts: each a crossing (low balance, cap reached) or a spend spike")
                .register(registry);
    }
}
