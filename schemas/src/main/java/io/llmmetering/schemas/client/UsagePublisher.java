package io.llmmetering.schemas.client;

import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * For JVM proxies that publish usage straight to Kafka instead of over HTTP: the same topic, key (the user
 * id), Avro schema and producer guarantees as usage-ingest (idempotent, acks=all, lz4, batched). Each
 * {@link #publish} returns a future completed when Kafka has acknowledged the event; an event is only
 * safe once it completes, and publishing it again (same event id) is harmless downstream.
 *
 * <pre>{@code
 * try (UsagePublisher usage = UsagePublisher.connect("kafka:9092", "my-gateway")) {
 *     usage.publish(event).join();
 * }
 * }</pre>
 */
public final class UsagePublisher implements AutoCloseable {

    private final KafkaProducer<String, UsageEvent> producer;
    private final String source;

    private UsagePublisher(Map<String, Object> config, String source) {
        this.producer = new KafkaProducer<>(config, new StringSerializer(), AvroSerde.of(UsageEvent.class).serializer());
        this.source = source;
    }

    /** @param source the proxy's name, recorded on events that do not name one */
    public static UsagePublisher connect(String bootstrapServers, String source) {
        return connect(bootstrapServers, source, Map.of());
    }

    /** As {@link #connect(String, String)}, with extra producer settings (security, timeouts). */
    public static UsagePublisher connect(String bootstrapServers, String source, Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.putAll(overrides);
        return new UsagePublisher(config, source);
    }

    public CompletableFuture<RecordMetadata> publish(UsageEvent event) {
        if (event.getUserId() == null || event.getUserId().isBlank() || event.getEventId() == null || event.getEventId().isBlank()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a usage event needs an event_id and a user_id"));
        }
        if ("unknown".equals(event.getSource()) && source != null) {
            event.setSource(source);
        }
        CompletableFuture<RecordMetadata> acknowledged = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS, null, event.getOccurredAt().toEpochMilli(), event.getUserId(), event),
                (metadata, error) -> {
                    if (error != null) {
                        acknowledged.completeExceptionally(error);
                    } else {
                        acknowledged.complete(metadata);
                    }
                });
        return acknowledged;
    }

    /** Sends whatever is batched now and waits for it. */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
