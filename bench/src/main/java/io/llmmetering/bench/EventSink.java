package io.llmmetering.bench;

import io.llmmetering.local.Workload;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.schemas.client.UsagePublisher;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Where the e2e benchmark's events go: straight into usage.events, or through usage-ingest's HTTP API as proxies send them. */
interface EventSink extends AutoCloseable {

    void send(Workload.Call call, String userId) throws Exception;

    /** Waits until everything sent is acknowledged. */
    void flush() throws Exception;

    /** Events that were never acknowledged. */
    long failures();

    static EventSink to(String via, BenchSystem system) {
        return via.equals("http") ? new Http(system.ingestUrl() + "/api/v1/usage/events", system.ingestKey) : new Kafka(system.settings.bootstrapServers());
    }

    /** The proxies' Kafka client, batching as it does in production. */
    final class Kafka implements EventSink {
        private final UsagePublisher publisher;
        private final AtomicLong failed = new AtomicLong();

        Kafka(String bootstrapServers) {
            publisher = UsagePublisher.connect(bootstrapServers, "bench", Map.of(ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024));
        }

        @Override
        public void send(Workload.Call call, String userId) {
            publisher.publish(UsageEvent.newBuilder().setEventId(call.eventId()).setOccurredAt(Instant.now()).setUserId(userId)
                    .setProvider("bench").setModel(call.model()).setInputTokens(call.inputTokens()).setOutputTokens(call.outputTokens())
                    .setPowerLevel(call.powerLevel()).setSource("bench").build()).whenComplete((metadata, error) -> {
                        if (error != null) {
                            failed.incrementAndGet();
                        }
                    });
        }

        @Override
        public void flush() {
            publisher.flush();
        }

        @Override
        public long failures() {
            return failed.get();
        }

        @Override
        public void close() {
            publisher.close();
        }
    }

    /** A proxy posting batches of 500 calls to usage-ingest, each batch retried with the same ids until it is taken. */
    final class Http implements EventSink {
        private static final int BATCH = 500;
        private final String url;
        private final String key;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final List<String> batch = new ArrayList<>(BATCH);
        private long failed;

        Http(String url, String key) {
            this.url = url;
            this.key = key;
        }

        @Override
        public void send(Workload.Call call, String userId) throws Exception {
            batch.add("{\"event_id\":\"" + call.eventId() + "\",\"user_id\":\"" + userId + "\",\"provider\":\"bench\",\"model\":\"" + call.model()
                    + "\",\"input_tokens\":" + call.inputTokens() + ",\"output_tokens\":" + call.outputTokens() + ",\"power_level\":\""
                    + call.powerLevel() + "\",\"occurred_at\":\"" + Instant.now() + "\"}");
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
