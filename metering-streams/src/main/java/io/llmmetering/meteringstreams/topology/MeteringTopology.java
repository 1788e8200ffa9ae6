package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the metering topology from its settings and the configured price book (its tiers and power levels;
 * model prices come from {@code pricing.models}). Nothing else: running it is the service's job, and tests
 * drive exactly this topology with {@code TopologyTestDriver}.
 *
 * <pre>
 * usage.events -> validate-events -> price-events -> dedupe-event-ids -> credit.debits
 *                      |                  |
 *                      +------------------+-> usage.events.dlq
 * pricing.models -> model-prices (global)      credit.accounts -> account-states (global)
 * </pre>
 *
 * <p>Nothing else: an event costs its input record, its debit and one dedupe changelog record. Aggregates for
 * dashboards and spend-spike alerts are computed by credit-api per applied batch and per settled hour, where
 * they cost no Kafka record and no state store write per event.
 */
public final class MeteringTopology {

    private MeteringTopology() {
    }

    public static Topology build(TopologySettings settings, PriceBook configuredBook) {
        PriceBookView priceBook = new PriceBookView(configuredBook);
        Topology topology = new Topology();

        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.MODEL_PRICES_STORE),
                        Serdes.String(), AvroSerde.of(ModelPrice.class)).withLoggingDisabled(),
                Names.MODEL_PRICES_SOURCE, Serdes.String().deserializer(), AvroSerde.of(ModelPrice.class).deserializer(),
                Topics.PRICING_MODELS, Names.MODEL_PRICES_UPDATER,
                () -> new GlobalStoreUpdater<ModelPrice>(Names.MODEL_PRICES_STORE, priceBook::apply));
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.ACCOUNT_STATES_STORE),
                        Serdes.String(), AvroSerde.of(AccountState.class)).withLoggingDisabled(),
                Names.ACCOUNTS_SOURCE, Serdes.String().deserializer(), AvroSerde.of(AccountState.class).deserializer(),
                Topics.CREDIT_ACCOUNTS, Names.ACCOUNTS_UPDATER,
                () -> new GlobalStoreUpdater<AccountState>(Names.ACCOUNT_STATES_STORE, (user, state) -> { }));

        // Pricing comes before dedupe so that only a charged event counts as seen: an event dead-lettered for
        // an unknown model is charged when it is replayed after the price was added, within the horizon too.
        Step validate = new Step(Names.VALIDATE, Names.PRICE, Names.DLQ_SINK);
        Step price = new Step(Names.PRICE, Names.DEDUPE, Names.DLQ_SINK);
        topology.addSource(Names.USAGE_EVENTS_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                Topics.USAGE_EVENTS);
        topology.addProcessor(Names.VALIDATE, () -> new ValidateEventsProcessor(settings.maxClockSkew(), validate), Names.USAGE_EVENTS_SOURCE);
        topology.addProcessor(Names.PRICE, () -> new PriceEventsProcessor(priceBook, price), Names.VALIDATE);
        topology.addProcessor(Names.DEDUPE, () -> new DedupeEventIdsProcessor(settings.dedupeHorizon()), Names.PRICE);
        topology.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(Names.DEDUPE_STORE, settings.dedupeHorizon(), settings.dedupeHorizon(), false),
                Serdes.String(), Serdes.Long()), Names.DEDUPE);

        topology.addSink(Names.DEBITS_SINK, Topics.CREDIT_DEBITS, Serdes.String().serializer(), avro(Debit.class), Names.DEDUPE);
        topology.addSink(Names.DLQ_SINK, Topics.USAGE_EVENTS_DLQ, Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                Names.VALIDATE, Names.PRICE);
        return topology;
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> Serializer<T> avro(Class<T> type) {
        return AvroSerde.of(type).serializer();
    }
}
