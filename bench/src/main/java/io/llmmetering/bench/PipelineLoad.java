package io.llmmetering.bench;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.local.Workload;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Usage events published at a fixed rate through the whole pipeline of the bench system while another benchmark
 * runs, as proxies check spend while they publish: the events are prepared before it starts, and when it stops,
 * every unique event published must be applied.
 */
final class PipelineLoad implements AutoCloseable {

    private final long rate;
    private final PreparedEvents events;
    private final EventSink sink;
    private final LatencyProbes probes;
    private final PacedPublisher publisher;
    private final Thread thread;
    private volatile Exception failure;
    private long startedNanos;

    private PipelineLoad(BenchSystem system, BenchOptions options, long rate, Duration longest) {
        this.rate = rate;
        Workload workload = new Workload("load-" + BenchOptions.runId(), options.users(), options.duplicateRate(), options.seed(),
                PriceBookReader.defaultPriceBook(), options.userMix());
        this.events = PreparedEvents.generate(workload, Math.toIntExact(rate * longest.toSeconds()), options.users(),
                Integer.MAX_VALUE, Instant.now().minusSeconds(60), false);
        this.sink = EventSink.kafka(system, events);
        this.probes = new LatencyProbes(events, options.redisUrl());
        this.publisher = new PacedPublisher(events, sink, probes, new PipelineCounters(system.creditApiMeters())).quiet();
        this.thread = new Thread(() -> {
            try {
                publisher.publish(events.size(), rate, null);
            } catch (Exception e) {
                failure = e;
            }
        }, "pipeline-load");
    }

    /** Prepares events for at most {@code longest} at {@code rate} per second and starts publishing them. */
    static PipelineLoad start(BenchSystem system, BenchOptions options, long rate, Duration longest) {
        PipelineLoad load = new PipelineLoad(system, options, rate, longest);
        System.out.printf("[bench] pipeline load: %,d events/s into usage.events, through the topology and the applier%n", rate);
        load.startedNanos = System.nanoTime();
        load.thread.start();
        return load;
    }

    /** Stops publishing, waits for the ledger, and says what was sent and applied (a shortfall is a discrepancy). */
    Map<String, Object> stopAndCheck() throws Exception {
        publisher.stop();
        thread.join();
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        sink.flush();
        boolean applied = publisher.awaitApplied(Duration.ofMinutes(3));
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rate", rate);
        figures.put("unique_events_published", publisher.uniquePublished);
        figures.put("achieved_events_per_second", Math.round(publisher.uniquePublished / seconds));
        figures.put("all_applied", applied && failure == null);
        System.out.printf("[bench] pipeline load: %,d unique events published in %.0f s, all applied: %s%n", publisher.uniquePublished, seconds,
                applied && failure == null);
        return figures;
    }

    @Override
    public void close() throws Exception {
        publisher.stop();
        thread.join();
        sink.close();
        probes.close();
    }
}
