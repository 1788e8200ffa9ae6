package io.llmmetering.bench;

import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.schemas.client.UsagePublisher;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
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

    static EventSink to(BenchOptions options, BenchSystem system, PreparedEvents events) {
        return options.via().equals("http")
                ? new Http(system.ingestUrl() + "/api/v1/usage/events", system.ingestKey, events, options.httpBatch(), options.httpSenders())
                : kafka(system, events);
    }

    static EventSink kafka(BenchSystem system, PreparedEvents events) {
        return new Kafka(KafkaClients.plaintext(system.settings.bootstrapServers()), events);
    }

    /** A proxy's Kafka producer with the settings of {@link UsagePublisher} (idempotent, acks=all, lz4, batched). */
    final class Kafka implements EventSink {
        private final KafkaProducer<byte[], byte[]> producer;
        private final PreparedEvents events;
        private final AtomicLong failed = new AtomicLong();

        Kafka(KafkaClients kafka, PreparedEvents events) {
            Map<String, Object> settings = new HashMap<>(UsagePublisher.BATCHING);
            settings.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-generator");
            this.producer = kafka.producer(settings, UsagePublisher.GUARANTEES, new ByteArraySerializer(), new ByteArraySerializer());
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

    /**
     * A fleet of proxies posting batches to usage-ingest: {@code senders} requests in flight at once, each batch
     * retried with the same ids until it is taken (ingest's consumers deduplicate). The publisher waits only when
     * every sender is busy, as a proxy's bounded queue would make it.
     */
    final class Http implements EventSink {
        private static final int ATTEMPTS = 20;
        private final String url;
        private final String key;
        private final PreparedEvents events;
        private final int batchSize;
        private final int senders;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final ExecutorService posting;
        private final Semaphore free;
        private final AtomicLong failed = new AtomicLong();
        private List<String> batch;

        Http(String url, String key, PreparedEvents events, int batchSize, int senders) {
            this.url = url;
            this.key = key;
            this.events = events;
            this.batchSize = batchSize;
            this.senders = senders;
            this.posting = Executors.newFixedThreadPool(senders);
            this.free = new Semaphore(senders);
            this.batch = new ArrayList<>(batchSize);
        }

        @Override
        public void send(int index) throws InterruptedException {
            batch.add(events.json[index]);
            if (batch.size() == batchSize) {
                post();
            }
        }

        private void post() throws InterruptedException {
            List<String> full = batch;
            batch = new ArrayList<>(batchSize);
            free.acquire();
            posting.execute(() -> {
                try {
                    if (!delivered("[" + String.join(",", full) + "]")) {
                        failed.addAndGet(full.size());
                    }
                } finally {
                    free.release();
                }
            });
        }

        private boolean delivered(String body) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
                for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                    try {
                        int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                        if (status == 202) {
                            return true;
                        }
                        if (status != 503) {
                            return false; // refused for good
                        }
                    } catch (IOException | RuntimeException unreachable) {
                        // retried with the same ids; what never goes is counted as failed, never lost unseen
                    }
                    Thread.sleep(500);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        @Override
        public void flush() throws InterruptedException {
            if (!batch.isEmpty()) {
                post();
            }
            free.acquire(senders);
            free.release(senders);
        }

        @Override
        public long failures() {
            return failed.get();
        }

        @Override
        public void close() {
            posting.shutdownNow();
        }
    }
}
