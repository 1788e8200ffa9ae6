package io.llmmetering.meteringstreams.service;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.schemas.pricing.PriceBookRecords;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.TopicDefinitions;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Creates the topics the system needs (if missing) and, on the first start of a cluster, publishes the
 * configured price book to {@code pricing.models}, after which that topic is the price book.
 */
public final class TopicProvisioner {

    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);
    private final KafkaClients kafka;

    public TopicProvisioner(KafkaClients kafka) {
        this.kafka = kafka;
    }

    public void createTopics(int partitions, short replicationFactor, int minInsyncReplicas) {
        try (Admin admin = kafka.admin(Map.of())) {
            for (NewTopic topic : TopicDefinitions.all(partitions, replicationFactor, minInsyncReplicas)) {
                try {
                    admin.createTopics(List.of(topic)).all().get();
                    log.info("topic created name={} partitions={}", topic.name(), topic.numPartitions());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic.name(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Publishes {@code book} to {@code pricing.models} when that topic has never held a record; returns how many. */
    public int seedPriceBookIfEmpty(PriceBook book) {
        TopicPartition partition = new TopicPartition(Topics.PRICING_MODELS, 0);
        try (Admin admin = kafka.admin(Map.of())) {
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get().offset();
            if (end > 0) {
                return 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the end of " + Topics.PRICING_MODELS, e.getCause());
        }
        List<ModelPrice> prices = PriceBookRecords.of(book, Instant.now());
        try (KafkaProducer<String, ModelPrice> producer = kafka.producer(Map.of(),
                Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), AvroSerde.of(ModelPrice.class).serializer())) {
            prices.forEach(price -> producer.send(new ProducerRecord<>(Topics.PRICING_MODELS, price.getModel(), price)));
            producer.flush();
        }
        log.info("price book seeded version={} models={}", book.version(), prices.size());
        return prices.size();
    }
}
