package io.llmmetering.creditapi.web;

import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBookImport;
import io.llmmetering.creditapi.controlplane.ControlPlanePublisher;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.schemas.pricing.PriceBookRecords;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.List;

/**
 * A whole price book at once, as LiteLLM users keep theirs ({@code model_prices_and_context_window.json}) or in
 * our own format: answers what it would change, and with {@code dry_run=false} publishes every added and changed
 * model to {@code pricing.models} under one new price version, which the topology prices the events after with.
 */
@RestController
@Tag(name = "Pricing")
final class PriceBookImportController {

    private final PriceBookFeed prices;
    private final ControlPlanePublisher publisher;

    PriceBookImportController(PriceBookFeed prices, ControlPlanePublisher publisher) {
        this.prices = prices;
        this.publisher = publisher;
    }

    @Operation(operationId = "importPriceBook", summary = "import a whole price book (LiteLLM's model_prices_and_context_window.json or ours): what it would change; dry_run=false publishes it")
    @PostMapping(path = BodySizeLimitFilter.PRICE_BOOK_IMPORT, consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.PriceImport importPriceBook(@RequestBody byte[] body, @RequestParam(name = "dry_run", defaultValue = "true") boolean dryRun)
            throws Exception {
        PriceBookImport.Plan plan;
        try {
            plan = PriceBookImport.plan(prices.priceBook(), new ByteArrayInputStream(body));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("body", e.getMessage());
        }
        List<PricedModel> toPublish = plan.prices();
        String version = null;
        String effectiveFrom = null;
        if (!dryRun && !toPublish.isEmpty()) {
            Instant now = Instant.now();
            version = "import-" + now;
            effectiveFrom = now.toString();
            for (PricedModel price : toPublish) {
                publisher.publish(PriceBookRecords.of(price, List.of(), version, now));
            }
        }
        return new Responses.PriceImport(plan.format(), dryRun, plan.added().stream().map(PriceBookImportController::price).toList(),
                plan.changed().stream().map(change -> new Responses.ImportedChange(change.after().model(), price(change.before()),
                        price(change.after()))).toList(),
                plan.unchanged().size(),
                plan.skipped().stream().map(skipped -> new Responses.ImportSkipped(skipped.model(), skipped.reason().code(), skipped.detail()))
                        .toList(),
                version, effectiveFrom, dryRun ? 0 : toPublish.size());
    }

    private static Responses.ImportedPrice price(PricedModel price) {
        return new Responses.ImportedPrice(price.model(), price.provider(), plain(price.inputPer1k()), plain(price.outputPer1k()),
                price.cachedInputPer1k().map(PriceBookImportController::plain).orElse(null));
    }

    /** 10 rather than 1E+1: rates are stored stripped of trailing zeros. */
    private static java.math.BigDecimal plain(java.math.BigDecimal rate) {
        return rate.scale() < 0 ? rate.setScale(0) : rate;
    }
}
