package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.pricing.PriceBookRecords;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;

/** A {@link TopologyTestDriver} on {@link MeteringTopology} with typed topics, seeded with the default price book. */
final class TopologyFixture implements AutoCloseable {

    static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    static final PriceBook DEFAULT_BOOK = PriceBookReader.defaultPriceBook();

    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> usageEvents;
    final TestInputTopic<String, ModelPrice> pricingModels;
    final TestInputTopic<String, AccountState> accounts;
    final TestOutputTopic<String, Debit> debits;
    final TestOutputTopic<String, byte[]> deadLetters;
    private final MessageCodec<UsageEvent> codec = MessageCodec.of(UsageEvent.class);

    TopologyFixture(TopologySettings settings) {
        this(settings, T0.plusSeconds(2 * 3600));
    }

    TopologyFixture(TopologySettings settings, Instant wallClock) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metering-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        try {
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("ttd-state").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        driver = new TopologyTestDriver(MeteringTopology.build(settings, DEFAULT_BOOK), props, wallClock);
        usageEvents = driver.createInputTopic(Topics.USAGE_EVENTS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        pricingModels = driver.createInputTopic(Topics.PRICING_MODELS, Serdes.String().serializer(), AvroSerde.of(ModelPrice.class).serializer());
        accounts = driver.createInputTopic(Topics.CREDIT_ACCOUNTS, Serdes.String().serializer(), AvroSerde.of(AccountState.class).serializer());
        debits = driver.createOutputTopic(Topics.CREDIT_DEBITS, Serdes.String().deserializer(), AvroSerde.of(Debit.class).deserializer());
        deadLetters = driver.createOutputTopic(Topics.USAGE_EVENTS_DLQ, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        PriceBookRecords.of(DEFAULT_BOOK, T0).forEach(price -> pricingModels.pipeInput(price.getModel(), price));
    }

    static UsageEvent.Builder event(String eventId, String userId, String model, long input, long output, Instant occurredAt) {
        return UsageEvent.newBuilder().setEventId(eventId).setUserId(userId).setProvider("openai").setModel(model)
                .setInputTokens(input).setOutputTokens(output).setOccurredAt(occurredAt).setMetadata(Map.of()).setSource("test");
    }

    void send(UsageEvent event) {
        sendKeyed(event.getUserId(), event);
    }

    /** Sends under any record key: a well-behaved producer keys by the event's user. */
    void sendKeyed(String key, UsageEvent event) {
        usageEvents.pipeInput(key, codec.encode(event), event.getOccurredAt());
    }

    void setTier(String userId, String tier) {
        accounts.pipeInput(userId, AccountState.newBuilder().setUserId(userId).setTier(tier).setUpdatedAt(T0).build());
    }

    /** A sensor of the topology's own metrics group, summed over tasks. */
    double metric(String name) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && e.getKey().group().contains(Metrics.SCOPE))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    static String header(TestRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        driver.close();
    }
}
