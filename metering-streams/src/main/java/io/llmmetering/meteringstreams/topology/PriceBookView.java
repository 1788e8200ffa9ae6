package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.schemas.pricing.PriceBookSnapshot;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The price book as the {@code pricing.models} topic says it is right now, shared by the pricing tasks of one
 * application instance. The global thread applies each price change as it arrives; pricing reads an immutable
 * snapshot, so an event is priced with one consistent book and a change applies to the events after it
 * without a restart.
 */
final class PriceBookView {

    private final PriceBook base;
    private final AtomicReference<PriceBookSnapshot> current;
    /** Counts applied changes, so a reload that raced with one can tell and start over. Guarded by {@code this}. */
    private long changes;

    PriceBookView(PriceBook base) {
        this.base = base;
        this.current = new AtomicReference<>(PriceBookSnapshot.empty(base));
    }

    PriceBookSnapshot snapshot() {
        return current.get();
    }

    /** Applies one record of {@code pricing.models}: a price (new or changed), or a retirement or tombstone. */
    synchronized void apply(String model, io.llmmetering.schemas.ModelPrice value) {
        changes++;
        current.updateAndGet(snapshot -> snapshot.applied(model, value));
    }

    /** Rebuilds the view from the whole store: after a restart the global store is restored without the updater. */
    void reloadFrom(KeyValueStore<String, io.llmmetering.schemas.ModelPrice> store) {
        while (true) {
            long seen;
            synchronized (this) {
                seen = changes;
            }
            PriceBookSnapshot rebuilt = PriceBookSnapshot.empty(base);
            try (KeyValueIterator<String, io.llmmetering.schemas.ModelPrice> entries = store.all()) {
                while (entries.hasNext()) {
                    var entry = entries.next();
                    rebuilt = rebuilt.applied(entry.key, entry.value);
                }
            }
            synchronized (this) {
                // a price applied while the store was read might be missing from what was read: read again
                if (changes == seen) {
                    current.set(rebuilt);
                    return;
                }
            }
        }
    }
}
