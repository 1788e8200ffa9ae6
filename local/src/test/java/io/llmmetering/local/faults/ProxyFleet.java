package io.llmmetering.local.faults;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.local.Workload;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * LLM proxies publishing usage through usage-ingest the way a proxy should: batches of calls, each batch
 * retried with the same event ids until ingest answers 202 (a 503 while Kafka is away, a connection refused,
 * a timeout after the write). So a publish that failed midway is sent again, and must be charged once. Knows
 * what every user must be charged, to the nano-credit.
 */
final class ProxyFleet implements Runnable {

    private static final int BATCH = 25;
    private static final Duration GIVE_UP = Duration.ofMinutes(3);

    private final String ingestUrl;
    private final String ingestKey;
    private final Workload workload;
    private final int events;
    private final int eventsPerSecond;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final Map<String, Long> expectedNanos = new HashMap<>();
    final Set<String> uniqueEventIds = new HashSet<>();
    final Set<String> invalidEventIds = new HashSet<>();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong retriedBatches = new AtomicLong();
    final AtomicLong unavailableAnswers = new AtomicLong();
    private volatile Throwable failure;

    ProxyFleet(ProcessPipeline pipeline, String run, int users, int events, int eventsPerSecond, long seed) {
        this.ingestUrl = pipeline.ingestUrl();
        this.ingestKey = pipeline.ingestKey();
        this.workload = new Workload(run, users, 0.1, seed, PriceBookReader.defaultPriceBook());
        this.events = events;
        this.eventsPerSecond = eventsPerSecond;
    }

    String eventPrefix() {
        return workload.eventPrefix();
    }

    String userPrefix() {
        return workload.userPrefix();
    }

    Thread startInBackground() {
        Thread thread = new Thread(this, "proxy-fleet");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void run() {
        try {
            long started = System.nanoTime();
            Workload.Call call = null;
            List<String> batch = new ArrayList<>(BATCH);
            for (int i = 0; i < events; i++) {
                call = workload.next(call);
                String user = workload.userId(call.user());
                if (!call.valid()) {
                    invalidEventIds.add(call.eventId());
                } else if (!call.duplicate()) {
                    synchronized (this) {
                        uniqueEventIds.add(call.eventId());
                        expectedNanos.merge(user, call.costNanos(), Long::sum);
                    }
                }
                batch.add("{\"event_id\":\"" + call.eventId() + "\",\"user_id\":\"" + user + "\",\"provider\":\"fleet\",\"model\":\""
                        + call.model() + "\",\"input_tokens\":" + call.inputTokens() + ",\"output_tokens\":" + call.outputTokens()
                        + ",\"power_level\":\"" + call.powerLevel() + "\",\"occurred_at\":\"" + Instant.now() + "\"}");
                if (batch.size() == BATCH || i == events - 1) {
                    publish("[" + String.join(",", batch) + "]");
                    sent.addAndGet(batch.size());
                    batch.clear();
                    long due = started + (long) ((i + 1) * 1e9 / eventsPerSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void publish(String body) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(ingestUrl))
                        .header("Authorization", "Bearer " + ingestKey).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 202) {
                    return;
                }
                if (response.statusCode() != 503) {
                    throw new IllegalStateException("ingest answered " + response.statusCode() + ": " + response.body());
                }
                unavailableAnswers.incrementAndGet();
            } catch (IOException unreachable) {
                // a timeout may come after the write: the retry carries the same event ids
            }
            if (attempt == 0) {
                retriedBatches.incrementAndGet();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ingest refused a batch for " + GIVE_UP);
            }
            Thread.sleep(500);
        }
    }

    /** Waits for the fleet to have published everything; rethrows what stopped it. */
    void awaitPublished(Thread thread) throws InterruptedException {
        thread.join(Duration.ofMinutes(10).toMillis());
        if (failure != null) {
            throw new AssertionError("the proxy fleet failed", failure);
        }
        if (thread.isAlive()) {
            throw new AssertionError("the proxy fleet did not finish publishing");
        }
    }

    synchronized long expectedTotalNanos() {
        return expectedNanos.values().stream().mapToLong(Long::longValue).sum();
    }
}
