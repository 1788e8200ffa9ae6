package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.schemas.pricing.PriceBookSnapshot;
import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PricingException;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;

/**
 * Prices each valid event with the current price book and the user's tier, and emits its debit. An event
 * that cannot be priced (unknown model, power level or tier; a cost past what a debit can hold) is dead-lettered
 * with the reason, never charged at zero.
 */
final class PriceEventsProcessor extends DeadLetteringProcessor<ValidatedEvent> {

    private final PriceBookView priceBook;
    private KeyValueStore<String, AccountState> accounts;
    private Sensor priced;

    PriceEventsProcessor(PriceBookView priceBook, Step step) {
        super(step);
        this.priceBook = priceBook;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        super.init(context);
        accounts = context.getStateStore(Names.ACCOUNT_STATES_STORE);
        priceBook.reloadFrom(context.getStateStore(Names.MODEL_PRICES_STORE));
        priced = Metrics.sensor(context, "events-priced");
    }

    @Override
    byte[] originalBytes(Record<String, ValidatedEvent> record) {
        return record.value().originalBytes();
    }

    @Override
    void handle(Record<String, ValidatedEvent> record) {
        UsageEvent event = record.value().event();
        AccountState account = accounts.get(event.getUserId());
        String tier = account == null ? null : account.getTier();
        PriceBookSnapshot snapshot = priceBook.snapshot();
        CostCalculator calculator = new CostCalculator(snapshot.book());
        Debit debit;
        try {
            PricedModel price = snapshot.book().model(event.getModel());
            String powerLevel = snapshot.book().powerLevel(event.getPowerLevel()).name();
            String tierName = snapshot.book().tier(tier).name();
            TokenUsage usage = new TokenUsage(event.getInputTokens(), event.getOutputTokens(), event.getCachedInputTokens());
            Credits cost = calculator.costOfUsage(price.model(), usage, powerLevel, tierName);
            debit = Debit.newBuilder()
                    .setEventId(event.getEventId()).setUserId(event.getUserId()).setAmountNanos(cost.nanos())
                    .setModel(price.model()).setProvider(event.getProvider())
                    .setInputTokens(usage.inputTokens()).setOutputTokens(usage.outputTokens())
                    .setCachedInputTokens(usage.cachedInputTokens()).setPowerLevel(powerLevel).setTier(tierName)
                    .setOccurredAt(event.getOccurredAt()).setPricedAt(Instant.ofEpochMilli(context().currentSystemTimeMs()))
                    .setPriceVersion(snapshot.versionOf(price)).setSource(event.getSource())
                    .build();
        } catch (PricingException e) {
            deadLetter(record, new Rejection(e.reason(), e.getMessage()));
            return;
        }
        priced.record();
        context().forward(new Record<>(event.getUserId(), debit, record.timestamp()), step.next());
    }
}
