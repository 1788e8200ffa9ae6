package io.llmmetering.bench;

import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the e2e benchmark's prepared events go: straight into usage.events, or through usage-ingest's HTTP API
 * as proxies send them. Sending does no serialization: the events were encoded before the clock started.
 */
interface EventSink extends AutoCloseable {

    void send(int index) throws Exception;

    /** Waits until everything sent is acknowledged. */
    void flush() throws Exception;

    /** Events that were never acknowledged. */
    long failures();

    static EventSink to(String via, BenchSystem system, PreparedEvents events) {
        return via.equals("http") ? new Http(system.ingestUrl() + "/api/v1/usage/events", system.ingestKey, events)
                : new Kafka(KafkaClients.plaintext(system.settings.bootstrapServers()), events);
    }

    /** A proxy's Kafka producer with the settings of {@code UsagePublisher} (idempotent, acks=all, lz4, batched). */
    final class Kafka implements EventSink {
        private final KafkaProducer<byte[], byte[]> producer;
        private final PreparedEvents events;
        private final AtomicLong failed = new AtomicLong();

        Kafka(KafkaClients kafka, PreparedEvents events) {
            this.producer = kafka.producer(Map.of(ProducerConfig.CLIENT_ID_CONFIG, "bench-generator",
                            ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4", ProducerConfig.LINGER_MS_CONFIG, 20,
                            ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024),
                    Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                    new ByteArraySerializer(), new ByteArraySerializer());
            this.events = events;
        }

        @Override
        public void send(int index) {
            producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS, events.keys[index], events.values[index]), (metadata, error) -> {
                if (error != null) {
                    failed.incrementAndGet();
                }
            });
        }

        @Override
        public void flush() {
            producer.flush();
        }

        @Override
        public long failures() {
            return failed.get();
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(10));
        }
    }

    /** A proxy posting batches of 500 calls to usage-ingest, each batch retried with the same ids until it is taken. */
    final class Http implements EventSink {
        private static final int BATCH = 500;
        private final String url;
        private final String key;
        private final PreparedEvents events;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final List<String> batch = new ArrayList<>(BATCH);
        private long failed;

        Http(String url, String key, PreparedEvents events) {
            this.url = url;
            this.key = key;
            this.events = events;
        }

        @Override
        public void send(int index) throws Exception {
            batch.add(events.json[index]);
            if (batch.size() == BATCH) {
                flush();
            }
        }

        @Override
        public void flush() throws Exception {
            if (batch.isEmpty()) {
                return;
            }
            String body = "[" + String.join(",", batch) + "]";
            for (int attempt = 0; attempt < 20; attempt++) {
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 202) {
                        batch.clear();
                        return;
                    }
                    if (response.statusCode() != 503) {
                        break; // refused for good: counted below
                    }
                } catch (IOException unreachable) {
                    // retried with the same ids: ingest's consumers deduplicate
                }
                Thread.sleep(500);
            }
            failed += batch.size();
            batch.clear();
        }

        @Override
        public long failures() {
            return failed;
        }

        @Override
        public void close() {
            // nothing held open: Java 17's HttpClient is released with its last reference
        }
    }
}
