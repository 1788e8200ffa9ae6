package io.llmmetering.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes prepared events in order, paced or not, and knows how many unique valid ones have gone: the e2e
 * benchmark's load, and the pipeline load beside {@code bench api --rate}.
 */
final class PacedPublisher {
    private final PreparedEvents events;
    private final EventSink sink;
    private final LatencyProbes probes;
    final PipelineCounters counters;
    private int next;
    private volatile boolean stopped;
    private boolean quiet;
    long uniquePublished;
    long invalidPublished;

    PacedPublisher(PreparedEvents events, EventSink sink, LatencyProbes probes, PipelineCounters counters) {
        this.events = events;
        this.sink = sink;
        this.probes = probes;
        this.counters = counters;
    }

    /** No progress line: the load runs beside another benchmark that prints its own. */
    PacedPublisher quiet() {
        quiet = true;
        return this;
    }

    /** Ends a {@link #publish} in progress after the events already due. */
    void stop() {
        stopped = true;
    }

    /** Events published so far (the first this many prepared ones). */
    int published() {
        return next;
    }

    long applied() {
        return counters.applied();
    }

    /**
     * Sends the next {@code count} events, at {@code rate} per second (0: as fast as the producer takes them),
     * sampling the lag into {@code lag} (when given) every second while it publishes.
     */
    void publish(int count, long rate, List<Map<String, Object>> lag) throws Exception {
        int end = Math.min(events.size(), next + count);
        long started = System.nanoTime();
        long nextSample = started + 1_000_000_000L;
        int first = next;
        while (next < end && !stopped) {
            long now = System.nanoTime();
            int due = rate == 0 ? end : (int) Math.min(end, first + (now - started) * rate / 1_000_000_000L + 1);
            while (next < due) {
                probes.published(next, System.nanoTime());
                sink.send(next);
                uniquePublished += events.uniqueValid[next] ? 1 : 0;
                invalidPublished += events.invalid[next] ? 1 : 0;
                if ((++next & 1023) == 0 && System.nanoTime() >= nextSample) {
                    break;
                }
            }
            if (System.nanoTime() >= nextSample) {
                nextSample += 1_000_000_000L;
                sample(started, lag);
            }
            if (rate > 0 && next < end) {
                LockSupport.parkNanos(500_000);
            }
        }
        sink.flush();
    }

    private void sample(long started, List<Map<String, Object>> lag) {
        long applied = applied();
        if (lag != null) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("ms", (System.nanoTime() - started) / 1_000_000);
            point.put("published", uniquePublished);
            point.put("applied", applied);
            point.put("lag", uniquePublished - applied);
            point.put("hottest_partition_lag", counters.hottestPartitionLag());
            lag.add(point);
        }
        if (!quiet) {
            System.out.printf("\r[bench] published %,d events  applied %,d of %,d unique  ", next, applied, uniquePublished);
        }
        System.out.flush();
    }

    /** Waits until every unique valid event published so far is applied; false if that did not happen in time. */
    boolean awaitApplied(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastReport = System.nanoTime();
        while (applied() < uniquePublished) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
            if (System.nanoTime() - lastReport > 2_000_000_000L) {
                lastReport = System.nanoTime();
                sample(lastReport, null);
            }
        }
        return true;
    }
}
