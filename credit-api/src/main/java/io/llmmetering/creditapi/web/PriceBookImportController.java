package io.llmmetering.creditapi.web;

import io.llmmetering.core.pricing.ModelPrice;
import io.llmmetering.core.pricing.PriceBookImport;
import io.llmmetering.creditapi.controlplane.ControlPlanePublisher;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.schemas.pricing.PriceBookRecords;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole price book at once, as LiteLLM users keep theirs ({@code model_prices_and_context_window.json}) or in
 * our own format: answers what it would change, and with {@code dry_run=false} publishes every added and changed
 * model to {@code pricing.models} under one new price version, which the topology prices the events after with.
 */
@RestController
final class PriceBookImportController {

    private final PriceBookFeed prices;
    private final ControlPlanePublisher publisher;

    PriceBookImportController(PriceBookFeed prices, ControlPlanePublisher publisher) {
        this.prices = prices;
        this.publisher = publisher;
    }

    @PostMapping(path = BodySizeLimitFilter.PRICE_BOOK_IMPORT, consumes = MediaType.APPLICATION_JSON_VALUE)
    Map<String, Object> importPriceBook(@RequestBody byte[] body, @RequestParam(name = "dry_run", defaultValue = "true") boolean dryRun)
            throws Exception {
        PriceBookImport.Plan plan;
        try {
            plan = PriceBookImport.plan(prices.priceBook(), new ByteArrayInputStream(body));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("body", e.getMessage());
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("format", plan.format());
        view.put("dry_run", dryRun);
        view.put("added", plan.added().stream().map(PriceBookImportController::price).toList());
        view.put("changed", plan.changed().stream().map(change -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", change.after().model());
            row.put("before", price(change.before()));
            row.put("after", price(change.after()));
            return row;
        }).toList());
        view.put("unchanged", plan.unchanged().size());
        view.put("skipped", plan.skipped().stream().map(skipped -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", skipped.model());
            row.put("reason", skipped.reason().code());
            row.put("detail", skipped.detail());
            return row;
        }).toList());
        List<ModelPrice> toPublish = plan.prices();
        if (!dryRun && !toPublish.isEmpty()) {
            Instant now = Instant.now();
            String version = "import-" + now;
            for (ModelPrice price : toPublish) {
                publisher.publish(PriceBookRecords.of(price, List.of(), version, now));
            }
            view.put("version", version);
            view.put("effective_from", now.toString());
        }
        view.put("published", dryRun ? 0 : toPublish.size());
        return view;
    }

    private static Map<String, Object> price(ModelPrice price) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", price.model());
        row.put("provider", price.provider());
        row.put("input_per_1k", plain(price.inputPer1k()));
        row.put("output_per_1k", plain(price.outputPer1k()));
        row.put("cached_input_per_1k", price.cachedInputPer1k().map(PriceBookImportController::plain).orElse(null));
        return row;
    }

    /** 10 rather than 1E+1: rates are stored stripped of trailing zeros. */
    private static java.math.BigDecimal plain(java.math.BigDecimal rate) {
        return rate.scale() < 0 ? rate.setScale(0) : rate;
    }
}
