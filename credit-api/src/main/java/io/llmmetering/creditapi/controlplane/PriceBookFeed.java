package io.llmmetering.creditapi.controlplane;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.pricing.PriceBookRecords;
import io.llmmetering.schemas.pricing.PriceBookSnapshot;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The price book the API quotes with: the configured book, overlaid with every record of {@code pricing.models}
 * as it arrives, so {@code calculate-cost} quotes what the topology charges. It reads the compacted topic from
 * the beginning without a consumer group (every API instance needs all of it) and keeps running after a Kafka
 * outage; until then, and without Kafka at all, it quotes the configured book.
 */
public final class PriceBookFeed extends KafkaReader<String, byte[]> {

    private static final Logger log = LoggerFactory.getLogger(PriceBookFeed.class);

    private final AvroSerde<ModelPrice> serde = AvroSerde.of(ModelPrice.class);
    private final AtomicReference<PriceBookSnapshot> current;

    public PriceBookFeed(KafkaClients kafka, PriceBook configured) {
        super(kafka.consumer(Map.of(), Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer()));
        PriceBookSnapshot start = PriceBookSnapshot.empty(configured);
        for (ModelPrice price : PriceBookRecords.of(configured, Instant.EPOCH)) {
            start = start.applied(price.getModel(), price);
        }
        this.current = new AtomicReference<>(start);
    }

    public PriceBook priceBook() {
        return current.get().book();
    }

    public PriceBookSnapshot snapshot() {
        return current.get();
    }

    @Override
    protected void read() {
        List<TopicPartition> partitions = partitions();
        if (closed()) {
            return;
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        while (!closed()) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                apply(record);
            }
        }
    }

    private List<TopicPartition> partitions() {
        while (!closed()) {
            try {
                var infos = consumer.partitionsFor(Topics.PRICING_MODELS, Duration.ofSeconds(5));
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(info -> new TopicPartition(info.topic(), info.partition())).toList();
                }
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                log.info("pricing.models not reachable yet; quoting the configured price book");
            }
        }
        return List.of();
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        try {
            ModelPrice value = record.value() == null ? null : serde.deserialize(record.topic(), record.value());
            current.updateAndGet(snapshot -> snapshot.applied(record.key(), value));
        } catch (RuntimeException e) {
            log.warn("ignoring undecodable price record partition={} offset={} error={}", record.partition(), record.offset(), e.toString());
        }
    }

}
