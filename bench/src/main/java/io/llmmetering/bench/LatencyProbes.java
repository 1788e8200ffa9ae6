package io.llmmetering.bench;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publish-to-visible latency as a proxy's user sees it: from the moment a probe event is handed to the
 * producer until the user's cached balance in Redis ({@code credits:balance:{user}}) shows its charge. Each
 * probe knows its user's total charge once it is applied (a user's events apply in order: one partition), so
 * the probe is visible when the cached balance is at or below minus that total. A thread reads the oldest
 * outstanding probes with one MGET every few milliseconds; the resolution is that interval.
 */
final class LatencyProbes implements AutoCloseable {

    /** At most 4,000 keys read a second: the probes must not become a load on the Redis they measure. */
    private static final long POLL_MILLIS = 5;
    private static final int KEYS_PER_POLL = 20;

    private record Outstanding(int probe, long publishedNanos, boolean measured) {
    }

    private final PreparedEvents events;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final ConcurrentLinkedQueue<Outstanding> published = new ConcurrentLinkedQueue<>();
    private final List<Outstanding> waiting = new ArrayList<>();
    private int cursor;
    private final long[] latencyMicros;
    private volatile int measured;
    private volatile boolean measuring;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread poller;

    LatencyProbes(PreparedEvents events, String redisUrl) {
        this.events = events;
        this.latencyMicros = new long[events.probeUser.length];
        this.client = RedisClient.create(redisUrl);
        this.connection = client.connect();
        this.poller = new Thread(this::poll, "bench-latency-probes");
        poller.setDaemon(true);
        poller.start();
    }

    /** Called by the publisher as it hands event {@code index} to the producer. */
    void published(int index, long nanoTime) {
        int probe = events.probeOf[index];
        if (probe >= 0) {
            published.add(new Outstanding(probe, nanoTime, measuring));
        }
    }

    /** Probes published from now on count in {@link #percentiles()} until {@link #stopMeasuring()}. */
    void startMeasuring() {
        measuring = true;
    }

    void stopMeasuring() {
        measuring = false;
    }

    /** p50, p95, p99 and max in milliseconds, and how many probes were measured. */
    long[] percentiles() {
        int count = measured;
        return new long[]{BenchMath.percentile(latencyMicros, count, 0.5) / 1000, BenchMath.percentile(latencyMicros, count, 0.95) / 1000,
                BenchMath.percentile(latencyMicros, count, 0.99) / 1000, BenchMath.percentile(latencyMicros, count, 1.0) / 1000, count};
    }

    /** Clears what was measured, for the next step of a paced run. */
    void reset() {
        measured = 0;
    }

    private void poll() {
        while (running.get()) {
            for (Outstanding next = published.poll(); next != null; next = published.poll()) {
                waiting.add(next);
            }
            if (!waiting.isEmpty()) {
                try {
                    check();
                } catch (RuntimeException e) {
                    // Redis busy or restarting: the probes wait for the next poll
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Reads up to {@link #KEYS_PER_POLL} waiting probes, from a cursor that moves on through the list, so that
     * with a backlog of thousands every probe is still read a few times a second.
     */
    private void check() {
        if (cursor >= waiting.size()) {
            cursor = 0;
        }
        int from = cursor;
        int n = Math.min(KEYS_PER_POLL, waiting.size() - from);
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            keys[i] = BalanceCache.key(events.userId(events.probeUser[waiting.get(from + i).probe()]));
        }
        List<KeyValue<String, String>> balances = connection.sync().mget(keys);
        long now = System.nanoTime();
        int kept = from;
        for (int i = 0; i < n; i++) {
            KeyValue<String, String> balance = balances.get(i);
            Outstanding probe = waiting.get(from + i);
            if (balance.hasValue() && Credits.parse(balance.getValue()).nanos() <= -events.probeChargedNanos[probe.probe()]) {
                if (probe.measured() && measured < latencyMicros.length) {
                    latencyMicros[measured] = (now - probe.publishedNanos()) / 1000;
                    measured++;
                }
            } else {
                waiting.set(kept++, probe);
            }
        }
        waiting.subList(kept, from + n).clear();
        cursor = kept;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        poller.join(2_000);
        connection.close();
        client.shutdown();
    }
}
