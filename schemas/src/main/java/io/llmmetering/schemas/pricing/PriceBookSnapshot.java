package io.llmmetering.schemas.pricing;

import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An immutable price book as the {@code pricing.models} topic has built it so far, plus the version of each
 * model's price (recorded on every debit). Tiers and power levels come from the configured book; model prices
 * only from the topic, so the topology and the API quote from the same source.
 */
public record PriceBookSnapshot(PriceBook book, Map<String, String> versionByModel) {

    private static final Logger log = LoggerFactory.getLogger(PriceBookSnapshot.class);

    /** No models yet; the tiers and power levels of {@code base}. */
    public static PriceBookSnapshot empty(PriceBook base) {
        return new PriceBookSnapshot(new PriceBook(base.version(), List.of(), Map.of(), base.powerLevels(), base.tiers()), Map.of());
    }

    public String versionOf(PricedModel price) {
        return versionByModel.getOrDefault(key(price.model()), book.version());
    }

    /** This snapshot with one record of {@code pricing.models} applied: a price (new or changed), a retirement or a tombstone. */
    public PriceBookSnapshot applied(String model, io.llmmetering.schemas.ModelPrice value) {
        Map<String, String> versions = new HashMap<>(versionByModel);
        if (value == null || value.getRetired()) {
            versions.remove(key(model));
            return new PriceBookSnapshot(book.withoutModel(model, book.version()), Map.copyOf(versions));
        }
        PricedModel price;
        try {
            price = PriceBookRecords.toCore(value);
        } catch (IllegalArgumentException e) {
            // a bad price must not replace a good one: keep the previous price and say so
            log.warn("ignoring invalid price model={} version={} error={}", value.getModel(), value.getVersion(), e.getMessage());
            return this;
        }
        versions.put(key(price.model()), value.getVersion());
        return new PriceBookSnapshot(book.withModel(price, value.getAliases(), value.getVersion()), Map.copyOf(versions));
    }

    private static String key(String model) {
        return model.strip().toLowerCase(Locale.ROOT);
    }
}
