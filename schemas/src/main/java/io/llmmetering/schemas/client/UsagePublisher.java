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

    /**
     * Batching that costs the broker least per event (docs/benchmark-history.md, "the front door"): up to 20 ms of
     * a partition's events in one lz4 batch of up to 512 KB. Settings given to {@link #connect} override these.
     */
    public static final Map<String, Object> BATCHING = Map.of(
            ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
            ProducerConfig.LINGER_MS_CONFIG, 20,
            ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    /** What usage-ingest guarantees: an acknowledged event is stored once. No setting changes these. */
    public static final Map<String, Object> GUARANTEES = Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);

    private final KafkaProducer<String, UsageEvent> producer;
    private final String source;

    private UsagePublisher(KafkaClients kafka, String source) {
        this.producer = kafka.producer(BATCHING, GUARANTEES, new StringSerializer(), AvroSerde.of(UsageEvent.class).serializer());
        this.source = source;
    }

    /** @param source the proxy's name, recorded on events that do not name one */
    public static UsagePublisher connect(String bootstrapServers, String source) {
        return connect(bootstrapServers, source, Map.of());
    }

    /**
     * As {@link #connect(String, String)}, with producer settings of the cluster (security: {@code security.protocol},
     * {@code sasl.*}, {@code ssl.*}; timeouts; batching), as Kafka names them.
     */
    public static UsagePublisher connect(String bootstrapServers, String source, Map<String, Object> settings) {
        Map<String, Object> config = new HashMap<>(settings);
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return new UsagePublisher(KafkaClients.of(config), source);
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
