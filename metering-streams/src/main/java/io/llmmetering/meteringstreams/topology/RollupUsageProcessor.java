package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.UsageRollup;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Sums usage per (user, model, provider) in hourly and daily tumbling windows of event time.
 *
 * <p>Windows are kept in a key-value store whose keys start with granularity and window start, so expiring
 * old windows is one range scan. The topic is keyed by user, and so is every key here: no repartition topic.
 * Changed windows are published on a wall-clock punctuation rather than once per event, which would double
 * the topology's output. Which windows changed is kept in memory only: changelogging the marks cost two more
 * changelog records per event. When a task (re)starts, every window it holds is marked, so a crash or an
 * aborted transaction costs a re-publish of the open windows (the sink upserts them), never a lost update.
 * An event later than its window's end plus the grace period is still charged (its debit is already out) but
 * no longer counted in that window; the {@code late-events-not-rolled-up} metric counts it.
 */
final class RollupUsageProcessor extends ContextualProcessor<String, PricedEvent, String, UsageRollup> {

    enum Granularity {
        HOUR("hour", Duration.ofHours(1)), DAY("day", Duration.ofDays(1));

        final String label;
        final long sizeMillis;

        Granularity(String label, Duration size) {
            this.label = label;
            this.sizeMillis = size.toMillis();
        }
    }

    private static final char SEPARATOR = '\u001F';

    private final long graceMillis;
    private final Duration emitInterval;
    private KeyValueStore<String, UsageRollup> windows;
    private final Set<String> changed = new HashSet<>();
    private long streamTimeMillis = Long.MIN_VALUE;
    private Sensor lateEvents;

    RollupUsageProcessor(Duration grace, Duration emitInterval) {
        this.graceMillis = grace.toMillis();
        this.emitInterval = emitInterval;
    }

    @Override
    public void init(ProcessorContext<String, UsageRollup> context) {
        super.init(context);
        windows = context.getStateStore(Names.ROLLUP_WINDOWS_STORE);
        try (KeyValueIterator<String, UsageRollup> held = windows.all()) {
            held.forEachRemaining(entry -> changed.add(entry.key));
        }
        lateEvents = Metrics.sensor(context, "late-events-not-rolled-up");
        context.schedule(emitInterval, PunctuationType.WALL_CLOCK_TIME, this::publishChangedWindows);
    }

    @Override
    public void process(Record<String, PricedEvent> record) {
        Debit debit = record.value().debit();
        long occurredAt = debit.getOccurredAt().toEpochMilli();
        streamTimeMillis = Math.max(streamTimeMillis, occurredAt);
        for (Granularity granularity : Granularity.values()) {
            long windowStart = occurredAt - Math.floorMod(occurredAt, granularity.sizeMillis);
            long windowEnd = windowStart + granularity.sizeMillis;
            if (windowEnd + graceMillis <= streamTimeMillis) {
                lateEvents.record();
                continue;
            }
            String key = windowKey(granularity, windowStart, debit);
            UsageRollup rollup = windows.get(key);
            if (rollup == null) {
                rollup = UsageRollup.newBuilder().setUserId(debit.getUserId()).setModel(debit.getModel())
                        .setProvider(debit.getProvider()).setGranularity(granularity.label)
                        .setWindowStart(Instant.ofEpochMilli(windowStart)).setWindowEnd(Instant.ofEpochMilli(windowEnd))
                        .setRequests(0).setInputTokens(0).setOutputTokens(0).setCachedInputTokens(0).setCostNanos(0)
                        .setUpdatedAt(Instant.ofEpochMilli(context().currentSystemTimeMs())).build();
            }
            rollup.setRequests(rollup.getRequests() + 1);
            rollup.setInputTokens(Math.addExact(rollup.getInputTokens(), debit.getInputTokens()));
            rollup.setOutputTokens(Math.addExact(rollup.getOutputTokens(), debit.getOutputTokens()));
            rollup.setCachedInputTokens(Math.addExact(rollup.getCachedInputTokens(), debit.getCachedInputTokens()));
            rollup.setCostNanos(Math.addExact(rollup.getCostNanos(), debit.getAmountNanos()));
            rollup.setUpdatedAt(Instant.ofEpochMilli(context().currentSystemTimeMs()));
            windows.put(key, rollup);
            changed.add(key);
        }
    }

    private void publishChangedWindows(long nowMillis) {
        for (String key : changed) {
            UsageRollup rollup = windows.get(key);
            if (rollup != null) {
                context().forward(new Record<>(outputKey(rollup), rollup, rollup.getWindowStart().toEpochMilli()));
            }
        }
        changed.clear();
        expireOldWindows();
    }

    /** Deletes windows that can no longer change: older than their size plus grace, with a day's margin. */
    private void expireOldWindows() {
        if (streamTimeMillis == Long.MIN_VALUE) {
            return;
        }
        for (Granularity granularity : Granularity.values()) {
            long cutoff = streamTimeMillis - granularity.sizeMillis - graceMillis - Duration.ofDays(1).toMillis();
            if (cutoff <= 0) {
                continue;
            }
            List<String> expired = new ArrayList<>();
            try (KeyValueIterator<String, UsageRollup> old = windows.range(prefix(granularity, 0), prefix(granularity, cutoff))) {
                while (old.hasNext()) {
                    KeyValue<String, UsageRollup> entry = old.next();
                    expired.add(entry.key);
                }
            }
            expired.forEach(windows::delete);
        }
    }

    static String prefix(Granularity granularity, long windowStart) {
        return granularity.label + SEPARATOR + zeroPadded(windowStart) + SEPARATOR;
    }

    /**
     * {@code String.format("%015d", value)}, the form the keys of existing stores were written in, without
     * String.format: it parsed the pattern twice per event and was a tenth of the topology thread's CPU (JFR).
     */
    static String zeroPadded(long value) {
        String digits = Long.toString(value);
        if (value < 0 || digits.length() >= 15) {
            return value < 0 ? String.format("%015d", value) : digits;
        }
        return "0".repeat(15 - digits.length()) + digits;
    }

    private static String windowKey(Granularity granularity, long windowStart, Debit debit) {
        return prefix(granularity, windowStart) + debit.getUserId() + SEPARATOR + debit.getModel() + SEPARATOR + debit.getProvider();
    }

    /** {@code user/model/provider/granularity/windowStart}, each part URL-encoded so a '/' in a model id stays unambiguous. */
    static String outputKey(UsageRollup rollup) {
        return String.join("/", encode(rollup.getUserId()), encode(rollup.getModel()), encode(rollup.getProvider()),
                rollup.getGranularity(), rollup.getWindowStart().toString());
    }

    private static String encode(String part) {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean unchanged = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '_' || c == '*';
            if (!unchanged) {
                return URLEncoder.encode(part, StandardCharsets.UTF_8);
            }
        }
        // what URLEncoder returns for these characters, without building a new string per window published
        return part;
    }
}
