package io.llmmetering.usageingest.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events per second through POST /api/v1/usage/events into the in-JVM broker (acks=all), for batches of 1,
 * 100 and 1,000 events per request, 8 concurrent clients on 127.0.0.1, 10 s each. The batch of 1 is the
 * baseline. Run: {@code ./mvnw -B -Pbenchmark -pl usage-ingest -am verify -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("benchmark")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class IngestThroughputBenchmark {

    private static final IngestServiceFixture FIXTURE = new IngestServiceFixture();

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> FIXTURE.jdbcUrl);
        registry.add("spring.kafka.bootstrap-servers", FIXTURE.broker::bootstrapServers);
    }

    @AfterAll
    static void close() throws Exception {
        FIXTURE.close();
    }

    @LocalServerPort
    int port;

    @Test
    void eventsPerSecondByBatchSize() throws Exception {
        run(100, Duration.ofSeconds(5)); // warm-up
        double single = run(1, Duration.ofSeconds(10));
        double hundred = run(100, Duration.ofSeconds(10));
        double thousand = run(1000, Duration.ofSeconds(10));
        System.out.printf("%ningest, 8 clients: batch 1: %,.0f events/s (baseline) | batch 100: %,.0f events/s | batch 1000: %,.0f events/s%n",
                single, hundred, thousand);
        assertThat(thousand).isPositive();
    }

    private double run(int batch, Duration duration) throws Exception {
        HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
        AtomicLong events = new AtomicLong();
        AtomicLong sequence = new AtomicLong();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        long deadline = System.nanoTime() + duration.toNanos();
        long started = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int client = 0; client < 8; client++) {
            done.add(clients.submit(() -> {
                while (System.nanoTime() < deadline) {
                    StringBuilder body = new StringBuilder("[");
                    for (int i = 0; i < batch; i++) {
                        long n = sequence.incrementAndGet();
                        body.append(i == 0 ? "" : ",").append("{\"event_id\":\"b-").append(n).append("\",\"user_id\":\"user-").append(n % 5000)
                                .append("@example.com\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":1200,\"output_tokens\":300}");
                    }
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/usage/events"))
                            .header("Content-Type", "application/json").header("Authorization", "Bearer " + FIXTURE.key)
                            .POST(HttpRequest.BodyPublishers.ofString(body.append("]").toString())).build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 202) {
                        events.addAndGet(batch);
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get();
        }
        clients.shutdown();
        return events.get() / ((System.nanoTime() - started) / 1e9);
    }
}
