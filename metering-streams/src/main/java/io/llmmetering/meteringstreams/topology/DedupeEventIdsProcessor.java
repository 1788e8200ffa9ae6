package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.Debit;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Duration;

/**
 * Drops the debit of an event whose id was already charged within the dedupe horizon. It follows pricing, so an
 * event that was dead-lettered never counts as seen and its replay is charged. The ids live in a window store keyed
 * by event id at the event's time: RocksDB segments older than the horizon are dropped whole, so the store
 * stays bounded at about a horizon's worth of ids without any per-key expiry work. One user's events share a
 * partition, so every copy of an event meets the same store.
 */
final class DedupeEventIdsProcessor extends ContextualProcessor<String, Debit, String, Debit> {

    private final long horizonMillis;
    private WindowStore<String, Long> seenIds;
    private Sensor duplicates;

    DedupeEventIdsProcessor(Duration horizon) {
        this.horizonMillis = horizon.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Debit> context) {
        super.init(context);
        seenIds = context.getStateStore(Names.DEDUPE_STORE);
        duplicates = Metrics.sensor(context, "duplicate-events-dropped");
    }

    @Override
    public void process(Record<String, Debit> record) {
        String eventId = record.value().getEventId();
        long occurredAt = record.value().getOccurredAt().toEpochMilli();
        try (WindowStoreIterator<Long> copies = seenIds.fetch(eventId, occurredAt - horizonMillis, occurredAt + horizonMillis)) {
            if (copies.hasNext()) {
                duplicates.record();
                return;
            }
        }
        seenIds.put(eventId, occurredAt, occurredAt);
        context().forward(record);
    }
}
