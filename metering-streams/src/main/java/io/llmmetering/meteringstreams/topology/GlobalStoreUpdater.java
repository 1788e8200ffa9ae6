package io.llmmetering.meteringstreams.topology;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.function.BiConsumer;

/** Keeps a global store equal to its compacted topic (a null value deletes), and tells a listener of each change. */
final class GlobalStoreUpdater<V> implements Processor<String, V, Void, Void> {

    private final String storeName;
    private final BiConsumer<String, V> listener;
    private KeyValueStore<String, V> store;

    GlobalStoreUpdater(String storeName, BiConsumer<String, V> listener) {
        this.storeName = storeName;
        this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, V> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            store.put(record.key(), record.value());
        }
        listener.accept(record.key(), record.value());
    }
}
