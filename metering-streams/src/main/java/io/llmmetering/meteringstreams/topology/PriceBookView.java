package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.pricing.ModelPrice;
import io.llmmetering.core.pricing.PriceBook;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The price book as the {@code pricing.models} topic says it is right now, shared by the pricing tasks of one
 * application instance. The global thread applies each price change as it arrives; pricing reads an immutable
 * snapshot, so an event is priced with one consistent book and a change applies to the events after it
 * without a restart. Tiers and power levels come from the configured book; model prices only from the topic.
 */
final class PriceBookView {

    private static final Logger log = LoggerFactory.getLogger(PriceBookView.class);

    /** A consistent book plus the version of each model's price, recorded on every debit. */
    record Snapshot(PriceBook book, Map<String, String> versionByModel) {
        String versionOf(ModelPrice price) {
            return versionByModel.getOrDefault(key(price.model()), book.version());
        }
    }

    private final PriceBook base;
    private final AtomicReference<Snapshot> current;
    /** Counts applied changes, so a reload that raced with one can tell and start over. Guarded by {@code this}. */
    private long changes;

    PriceBookView(PriceBook base) {
        this.base = base;
        this.current = new AtomicReference<>(empty());
    }

    Snapshot snapshot() {
        return current.get();
    }

    /** Applies one record of {@code pricing.models}: a price (new or changed), or a retirement or tombstone. */
    synchronized void apply(String model, io.llmmetering.schemas.ModelPrice value) {
        changes++;
        current.updateAndGet(snapshot -> applied(snapshot, model, value));
    }

    /** Rebuilds the view from the whole store: after a restart the global store is restored without the updater. */
    void reloadFrom(KeyValueStore<String, io.llmmetering.schemas.ModelPrice> store) {
        while (true) {
            long seen;
            synchronized (this) {
                seen = changes;
            }
            Snapshot rebuilt = empty();
            try (KeyValueIterator<String, io.llmmetering.schemas.ModelPrice> entries = store.all()) {
                while (entries.hasNext()) {
                    var entry = entries.next();
                    rebuilt = applied(rebuilt, entry.key, entry.value);
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

    private Snapshot empty() {
        return new Snapshot(new PriceBook(base.version(), List.of(), Map.of(), base.powerLevels(), base.tiers()), Map.of());
    }

    private static Snapshot applied(Snapshot snapshot, String model, io.llmmetering.schemas.ModelPrice value) {
        Map<String, String> versions = new HashMap<>(snapshot.versionByModel());
        if (value == null || value.getRetired()) {
            versions.remove(key(model));
            return new Snapshot(snapshot.book().withoutModel(model, snapshot.book().version()), Map.copyOf(versions));
        }
        Optional<ModelPrice> price = toCore(value);
        if (price.isEmpty()) {
            return snapshot;
        }
        versions.put(key(price.get().model()), value.getVersion());
        return new Snapshot(snapshot.book().withModel(price.get(), value.getAliases(), value.getVersion()), Map.copyOf(versions));
    }

    private static Optional<ModelPrice> toCore(io.llmmetering.schemas.ModelPrice value) {
        try {
            return Optional.of(new ModelPrice(value.getModel(), value.getProvider(),
                    new BigDecimal(value.getInputPer1k()), new BigDecimal(value.getOutputPer1k()),
                    Optional.ofNullable(value.getCachedInputPer1k()).map(BigDecimal::new),
                    Optional.ofNullable(value.getBlendedPer1k()).map(BigDecimal::new)));
        } catch (IllegalArgumentException e) {
            // a bad price must not replace a good one: keep the previous price and say so
            log.warn("ignoring invalid price model={} version={} error={}", value.getModel(), value.getVersion(), e.getMessage());
            return Optional.empty();
        }
    }

    private static String key(String model) {
        return model.strip().toLowerCase(Locale.ROOT);
    }
}
