package io.llmmetering.usageingest.publishing;

import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes usage events to {@code usage.events}, keyed by user id, and returns only once Kafka has
 * acknowledged every one of them (idempotent producer, acks=all). If that does not happen within the timeout
 * it throws {@link KafkaUnavailableException}: the caller answers 503 and the client retries, which is
 * harmless because events carry their ids.
 */
public final class EventPublisher implements AutoCloseable {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaProducer<String, byte[]> producer;
    private final MessageCodec<UsageEvent> codec = MessageCodec.of(UsageEvent.class);
    private final Timer publishLatency;

    public EventPublisher(KafkaClients kafka, MeterRegistry registry) {
        this.producer = kafka.producer(Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                // a broker that is down must turn into a quick 503, not a request thread blocked for a minute
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 9_000),
                // an event acknowledged to a proxy is stored once: never lost on a broker's failover, never doubled
                Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new ByteArraySerializer());
        this.publishLatency = Timer.builder("ingest.publish.latency").publishPercentiles(0.5, 0.95, 0.99).register(registry);
    }

    public void publishAll(List<UsageEvent> events) {
        long started = System.nanoTime();
        List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
        try {
            for (UsageEvent event : events) {
                acks.add(producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS, null, event.getOccurredAt().toEpochMilli(),
                        event.getUserId(), codec.encode(event))));
            }
            long deadline = System.nanoTime() + ACK_TIMEOUT.toNanos();
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while waiting for Kafka", e);
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            throw new KafkaUnavailableException("Kafka did not acknowledge the events: " + e.getMessage(), e);
        } finally {
            publishLatency.record(Duration.ofNanos(System.nanoTime() - started));
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
