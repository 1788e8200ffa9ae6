package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.CreditAlert;
import io.llmmetering.schemas.Debit;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.math.BigInteger;
import java.time.Instant;

/**
 * Alerts when a user's spend in the sliding spike window (default 5 minutes of event time) exceeds a multiple
 * of their baseline, the average spend per window over the rest of the baseline period (default the hour
 * before), or an absolute threshold. After an alert, the user is not alerted again until a whole window has
 * passed: one alert per window, not one per event.
 */
final class SpendSpikeProcessor extends ContextualProcessor<String, PricedEvent, String, CreditAlert> {

    private static final long MINUTE_MILLIS = 60_000L;

    private final TopologySettings settings;
    private final int windowMinutes;
    private final int baselineMinutes;
    private KeyValueStore<String, SpendHistory> histories;

    SpendSpikeProcessor(TopologySettings settings) {
        this.settings = settings;
        this.windowMinutes = (int) settings.spikeWindow().toMinutes();
        this.baselineMinutes = (int) settings.spikeBaseline().toMinutes();
    }

    @Override
    public void init(ProcessorContext<String, CreditAlert> context) {
        super.init(context);
        histories = context.getStateStore(Names.SPEND_HISTORY_STORE);
    }

    @Override
    public void process(Record<String, PricedEvent> record) {
        Debit debit = record.value().debit();
        if (debit.getAmountNanos() == 0) {
            return;
        }
        long occurredAt = debit.getOccurredAt().toEpochMilli();
        SpendHistory history = histories.get(debit.getUserId());
        if (history == null) {
            history = new SpendHistory(baselineMinutes);
        }
        if (!history.add(Math.floorDiv(occurredAt, MINUTE_MILLIS), debit.getAmountNanos())) {
            return; // older than the whole baseline: charged, but too old to say anything about a spike now
        }
        long windowSpend = history.recent(windowMinutes);
        long coveredMinutes = history.minutesBefore(windowMinutes);
        // a baseline needs at least one whole window of history; a new user is judged by the absolute threshold alone
        long baselinePerWindow = coveredMinutes < windowMinutes ? 0 : history.before(windowMinutes) / coveredMinutes * windowMinutes;
        if (!history.alertsSuppressedAt(occurredAt) && isSpike(windowSpend, baselinePerWindow)) {
            long windowEnd = (history.newestMinute() + 1) * MINUTE_MILLIS;
            long windowStart = windowEnd - settings.spikeWindow().toMillis();
            boolean absolute = windowSpend >= settings.spikeAbsoluteThreshold().nanos();
            long threshold = absolute ? settings.spikeAbsoluteThreshold().nanos() : baselinePerWindow * settings.spikeMultiplierPercent() / 100;
            CreditAlert alert = CreditAlert.newBuilder()
                    .setAlertId(debit.getUserId() + ":spend_spike:" + windowStart)
                    .setUserId(debit.getUserId()).setKind("spend_spike").setSeverity(absolute ? "critical" : "warning")
                    .setObservedNanos(windowSpend).setThresholdNanos(threshold)
                    .setWindowStart(Instant.ofEpochMilli(windowStart)).setWindowEnd(Instant.ofEpochMilli(windowEnd))
                    .setMessage("spent " + Credits.ofNanos(windowSpend) + " credits in " + settings.spikeWindow().toMinutes()
                            + " min; " + (absolute ? "absolute threshold " + Credits.ofNanos(threshold)
                            : "baseline " + Credits.ofNanos(baselinePerWindow) + " per window"))
                    .setEmittedAt(Instant.ofEpochMilli(context().currentSystemTimeMs()))
                    .build();
            context().forward(new Record<>(debit.getUserId(), alert, record.timestamp()));
            history.suppressAlertsUntil(occurredAt + settings.spikeWindow().toMillis());
        }
        histories.put(debit.getUserId(), history);
    }

    private boolean isSpike(long windowSpend, long baselinePerWindow) {
        if (windowSpend >= settings.spikeAbsoluteThreshold().nanos()) {
            return true;
        }
        if (windowSpend < settings.spikeMinimumSpend().nanos() || baselinePerWindow == 0) {
            return false;
        }
        // windowSpend * 100 > baseline * percent, in BigInteger so a large spend cannot overflow into a wrong answer
        return BigInteger.valueOf(windowSpend).multiply(BigInteger.valueOf(100))
                .compareTo(BigInteger.valueOf(baselinePerWindow).multiply(BigInteger.valueOf(settings.spikeMultiplierPercent()))) > 0;
    }
}
