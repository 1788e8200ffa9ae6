package io.llmmetering.schemas.pricing;

import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBook;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The records of {@code pricing.models} that publish a price book: one per model, keyed by model id. */
public final class PriceBookRecords {

    private PriceBookRecords() {
    }

    public static List<io.llmmetering.schemas.ModelPrice> of(PriceBook book, Instant effectiveFrom) {
        return book.models().stream().map(price -> of(price, book.aliasesOf(price.model()), book.version(), effectiveFrom)).toList();
    }

    public static io.llmmetering.schemas.ModelPrice of(PricedModel price, List<String> aliases, String version, Instant effectiveFrom) {
        return io.llmmetering.schemas.ModelPrice.newBuilder()
                .setModel(price.model()).setProvider(price.provider())
                .setInputPer1k(price.inputPer1k().toPlainString()).setOutputPer1k(price.outputPer1k().toPlainString())
                .setCachedInputPer1k(price.cachedInputPer1k().map(BigDecimal::toPlainString).orElse(null))
                .setBlendedPer1k(price.blendedPer1k().map(BigDecimal::toPlainString).orElse(null))
                .setAliases(aliases).setVersion(version).setEffectiveFrom(effectiveFrom).setRetired(false)
                .build();
    }

    /** The price a record carries; fails with IllegalArgumentException (NumberFormatException included) when it is invalid. */
    public static PricedModel toCore(io.llmmetering.schemas.ModelPrice value) {
        return new PricedModel(value.getModel(), value.getProvider(),
                new BigDecimal(value.getInputPer1k()), new BigDecimal(value.getOutputPer1k()),
                Optional.ofNullable(value.getCachedInputPer1k()).map(BigDecimal::new),
                Optional.ofNullable(value.getBlendedPer1k()).map(BigDecimal::new));
    }
}
