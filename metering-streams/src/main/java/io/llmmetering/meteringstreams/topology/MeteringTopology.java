package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.CreditAlert;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageRollup;
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
 * usage.events -> validate-events -> dedupe-event-ids -> price-events -> credit.debits
 *                      |                                      |-> rollup-usage -> usage.rollups
 *                      |                                      |-> detect-spend-spikes -> credit.alerts
 *                      +--------------------------------------+-> usage.events.dlq
 * pricing.models -> model-prices (global)      credit.accounts -> account-states (global)
 * </pre>
 */
public final class MeteringTopology {

    private MeteringTopology() {
    }

    /**
     * The rollup and spend stores are cached: a window or a user's history touched by many events between two
     * commits is written to RocksDB and its changelog once per commit, not once per event.
     */
    public static Topology build(TopologySettings settings, PriceBook configuredBook) {
        PriceBookView priceBook = new PriceBookView(configuredBook);
        UsageEventValidator validator = new UsageEventValidator(settings.maxClockSkew());
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

        topology.addSource(Names.USAGE_EVENTS_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                Topics.USAGE_EVENTS);
        topology.addProcessor(Names.VALIDATE, () -> new ValidateEventsProcessor(validator), Names.USAGE_EVENTS_SOURCE);
        topology.addProcessor(Names.DEDUPE, () -> new DedupeEventIdsProcessor(settings.dedupeHorizon()), Names.VALIDATE);
        topology.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(Names.DEDUPE_STORE, settings.dedupeHorizon(), settings.dedupeHorizon(), false),
                Serdes.String(), Serdes.Long()), Names.DEDUPE);
        topology.addProcessor(Names.PRICE, () -> new PriceEventsProcessor(priceBook), Names.DEDUPE);

        topology.addProcessor(Names.ROLLUP, () -> new RollupUsageProcessor(settings.rollupGrace(), settings.rollupEmitInterval()),
                Names.PRICE);
        // no record cache on these two: with many users a key rarely repeats within a commit interval, so the cache
        // saved almost no changelog writes while its sorted map cost a quarter of the topology's CPU (JFR, 100,000 users)
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.ROLLUP_WINDOWS_STORE),
                Serdes.String(), AvroSerde.of(UsageRollup.class)).withCachingDisabled(), Names.ROLLUP);
        topology.addProcessor(Names.SPIKES, () -> new SpendSpikeProcessor(settings), Names.PRICE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.SPEND_HISTORY_STORE),
                Serdes.String(), SpendHistory.serde()).withCachingDisabled(), Names.SPIKES);

        topology.addSink(Names.DEBITS_SINK, Topics.CREDIT_DEBITS, Serdes.String().serializer(), avro(Debit.class), Names.PRICE);
        topology.addSink(Names.ROLLUPS_SINK, Topics.USAGE_ROLLUPS, Serdes.String().serializer(), avro(UsageRollup.class), Names.ROLLUP);
        topology.addSink(Names.ALERTS_SINK, Topics.CREDIT_ALERTS, Serdes.String().serializer(), avro(CreditAlert.class), Names.SPIKES);
        topology.addSink(Names.DLQ_SINK, Topics.USAGE_EVENTS_DLQ, Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                Names.VALIDATE, Names.PRICE);
        return topology;
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> Serializer<T> avro(Class<T> type) {
        return AvroSerde.of(type).serializer();
    }
}
