package io.llmmetering.local.faults;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.local.Workload;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.schemas.client.UsagePublisher;

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
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * LLM proxies publishing usage through usage-ingest the way a proxy should: batches of calls, each batch
 * retried with the same event ids until ingest answers 202 (a 503 while Kafka is away, a connection refused,
 * a timeout after the write). So a publish that failed midway is sent again, and must be charged once. A
 * retried call is also reported 1-4 more times through the CloudEvents and LiteLLM formats. Knows what every
 * user must be charged, to the nano-credit.
 */
final class ProxyFleet implements Runnable {

    private static final int BATCH = 25;
    private static final Duration GIVE_UP = Duration.ofMinutes(3);

    private final String ingestBase;
    private final Map<String, Object> kafkaSettings;
    private final String ingestKey;
    private final Workload workload;
    private final int events;
    private final int eventsPerSecond;
    private final Random retries;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final Map<String, Long> expectedNanos = new HashMap<>();
    final Set<String> uniqueEventIds = new HashSet<>();
    final Set<String> invalidEventIds = new HashSet<>();
    final AtomicLong retriedBatches = new AtomicLong();
    private volatile Throwable failure;
    private final CountDownLatch rest = new CountDownLatch(1);
    private volatile int heldBack;

    /** @param eventsPerSecond the publishing pace; 0 publishes as fast as it can */
    ProxyFleet(ProcessPipeline pipeline, String run, int users, int events, int eventsPerSecond, long seed) {
        this(pipeline, run, users, events, eventsPerSecond, seed, false);
    }

    /** @param straightToKafka publish into usage.events with the proxies' Kafka client instead of through ingest */
    ProxyFleet(ProcessPipeline pipeline, String run, int users, int events, int eventsPerSecond, long seed, boolean straightToKafka) {
        this.kafkaSettings = straightToKafka ? pipeline.broker.clientSettings() : null;
        this.ingestBase = pipeline.ingestBase();
        this.ingestKey = pipeline.ingestKey();
        this.workload = new Workload(run, users, 0.1, seed, PriceBookReader.defaultPriceBook());
        this.retries = new Random(seed);
        this.events = events;
        this.eventsPerSecond = eventsPerSecond;
    }

    String eventPrefix() {
        return workload.eventPrefix();
    }

    String userPrefix() {
        return workload.userPrefix();
    }

    /** The last {@code count} events wait for {@link #releaseTheRest()}: traffic a later phase of a test can count on. */
    void holdBackTheLast(int count) {
        heldBack = count;
    }

    void releaseTheRest() {
        rest.countDown();
    }

    Thread startInBackground() {
        Thread thread = new Thread(this, "proxy-fleet");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void run() {
        if (kafkaSettings != null) {
            runStraightToKafka();
            return;
        }
        try {
            long started = System.nanoTime();
            Workload.Call call = null;
            List<String> batch = new ArrayList<>(BATCH);
            List<String> cloudEvents = new ArrayList<>();
            List<String> liteLlm = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                if (heldBack > 0 && i == events - heldBack) {
                    rest.await();
                    started = System.nanoTime() - (long) (i * 1e9 / Math.max(eventsPerSecond, 1)); // the same pace from here
                }
                call = workload.next(call);
                String user = workload.userId(call.user());
                record(call);
                batch.add("{\"event_id\":\"" + call.eventId() + "\",\"user_id\":\"" + user + "\",\"provider\":\"fleet\",\"model\":\""
                        + call.model() + "\",\"input_tokens\":" + call.inputTokens() + ",\"output_tokens\":" + call.outputTokens()
                        + ",\"power_level\":\"" + call.powerLevel() + "\",\"occurred_at\":\"" + Instant.now() + "\"}");
                if (call.duplicate()) {
                    // the same call reported again 1-4 more times, through the other ingest formats (a proxy's
                    // LiteLLM callback and an OpenMeter-style collector both seeing it): charged once in all
                    for (int copy = 1 + retries.nextInt(4); copy > 0; copy--) {
                        if (retries.nextBoolean()) {
                            cloudEvents.add(cloudEvent(call, user));
                        } else {
                            liteLlm.add(liteLlmRecord(call, user));
                        }
                    }
                }
                if (batch.size() == BATCH || i == events - 1) {
                    // the native batch first: a retry must not reach the topology before its call, and the
                    // LiteLLM form carries no power level of its own
                    publish("/api/v1/usage/events", "application/json", batch);
                    publish("/api/v1/events", "application/cloudevents-batch+json", cloudEvents);
                    publish("/api/v1/ingest/litellm", "application/json", liteLlm);
                    batch.clear();
                    cloudEvents.clear();
                    liteLlm.clear();
                    pace(started, i + 1);
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private static String cloudEvent(Workload.Call call, String user) {
        return "{\"specversion\":\"1.0\",\"type\":\"llm.usage\",\"id\":\"" + call.eventId() + "\",\"source\":\"collector\",\"subject\":\""
                + user + "\",\"time\":\"" + Instant.now() + "\",\"data\":{\"provider\":\"fleet\",\"model\":\"" + call.model()
                + "\",\"input_tokens\":" + call.inputTokens() + ",\"output_tokens\":" + call.outputTokens() + ",\"power_level\":\""
                + call.powerLevel() + "\"}}";
    }

    private static String liteLlmRecord(Workload.Call call, String user) {
        return "{\"id\":\"" + call.eventId() + "\",\"status\":\"success\",\"model\":\"" + call.model()
                + "\",\"custom_llm_provider\":\"fleet\",\"prompt_tokens\":" + call.inputTokens() + ",\"completion_tokens\":"
                + call.outputTokens() + ",\"startTime\":" + System.currentTimeMillis() / 1000.0
                + ",\"metadata\":{\"user_api_key_user_id\":\"" + user + "\"}}";
    }

    private void runStraightToKafka() {
        try (UsagePublisher publisher = UsagePublisher.connect((String) kafkaSettings.get("bootstrap.servers"), "fleet", kafkaSettings)) {
            AtomicLong failed = new AtomicLong();
            long started = System.nanoTime();
            Workload.Call call = null;
            for (int i = 0; i < events; i++) {
                call = workload.next(call);
                record(call);
                publisher.publish(UsageEvent.newBuilder().setEventId(call.eventId()).setOccurredAt(Instant.now())
                        .setUserId(workload.userId(call.user())).setProvider("fleet").setModel(call.model())
                        .setInputTokens(call.inputTokens()).setOutputTokens(call.outputTokens()).setPowerLevel(call.powerLevel())
                        .setSource("fleet").build()).whenComplete((metadata, error) -> {
                            if (error != null) {
                                failed.incrementAndGet();
                            }
                        });
                pace(started, i + 1);
            }
            publisher.flush();
            if (failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " events were not acknowledged by Kafka");
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void record(Workload.Call call) {
        if (!call.valid()) {
            invalidEventIds.add(call.eventId());
        } else if (!call.duplicate()) {
            synchronized (this) {
                uniqueEventIds.add(call.eventId());
                expectedNanos.merge(workload.userId(call.user()), call.costNanos(), Long::sum);
            }
        }
    }

    private void pace(long started, long published) throws InterruptedException {
        if (eventsPerSecond > 0) {
            long wait = started + (long) (published * 1e9 / eventsPerSecond) - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
    }

    /** Sends the events as one request until ingest takes it (any 2xx), retrying on 503 and on no answer. */
    private void publish(String path, String contentType, List<String> batch) throws IOException, InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        String body = "[" + String.join(",", batch) + "]";
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(ingestBase + path))
                        .header("Authorization", "Bearer " + ingestKey).header("Content-Type", contentType)
                        .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() / 100 == 2) {
                    return;
                }
                if (response.statusCode() != 503) {
                    throw new IllegalStateException("ingest answered " + response.statusCode() + ": " + response.body());
                }
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
