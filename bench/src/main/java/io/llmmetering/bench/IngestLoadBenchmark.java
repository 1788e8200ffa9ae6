package io.llmmetering.bench;

import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP load on usage-ingest (the local system in this JVM) with wrk as a separate process, for each batch size:
 * requests/s, events/s accepted and latency percentiles at 16 concurrent connections. Every event has an id of
 * its own and a priced model, so each accepted event must reach the ledger: between batch sizes the run waits
 * until the topology and the applier have drained the backlog (so one size's backlog does not slow the next)
 * and checks that the ledger holds exactly the accepted events. Part of a command-line tool: progress goes to
 * stdout.
 */
final class IngestLoadBenchmark {

    private static final int THREADS = 2;
    private static final int CONNECTIONS = 16;
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(20);
    private static final Duration STALLED = Duration.ofSeconds(60);
    private static final Pattern ACCEPTED = Pattern.compile("(?m)^ingest_events_total\\{[^}]*outcome=\"accepted\"[^}]*} ([0-9.E]+)");
    private final BenchOptions options;

    IngestLoadBenchmark(BenchOptions options) {
        this.options = options;
    }

    BenchResult run() throws Exception {
        Wrk.requireInstalled();
        String run = BenchOptions.runId();
        BenchResult result = new BenchResult("ingest").put("seconds_per_batch_size", options.seconds()).put("threads", THREADS)
                .put("connections", CONNECTIONS).put("users", options.users()).put("load_tool", "wrk (separate process)");
        try (BenchSystem system = new BenchSystem(options, "bench_ingest_" + run)) {
            Map<String, Object> byBatch = new LinkedHashMap<>();
            long accepted = 0;
            long discrepancies = 0;
            for (int batch : options.batches()) {
                // the warm-up's events have ids of their own: the same ids again would be (rightly) deduplicated
                Wrk.Figures figures = Wrk.run(system.ingestUrl() + "/api/v1/usage/events", script(run + "-warm-up", batch, system.ingestKey),
                        script(run, batch, system.ingestKey), THREADS, CONNECTIONS, options.seconds());
                long started = System.nanoTime();
                long applied = awaitApplied(system);
                accepted = acceptedByIngest(system);
                double drainSeconds = (System.nanoTime() - started) / 1e9;
                double eventsPerSecond = (figures.requestsPerSecond() * batch) * (1 - (double) figures.non2xx() / Math.max(1, figures.requests()));
                System.out.printf("[bench] ingest batch %4d  %,8.0f requests/s  %,9.0f events/s  p50 %7.2f ms  p99 %7.2f ms  refused %d  backlog drained in %.1f s%n",
                        batch, figures.requestsPerSecond(), eventsPerSecond, figures.p50(), figures.p99(), figures.non2xx() + figures.socketErrors(), drainSeconds);
                Map<String, Object> json = figures.asJson();
                json.put("events_per_second", Math.round(eventsPerSecond));
                json.put("backlog_drain_seconds", BenchMath.round(drainSeconds));
                byBatch.put(String.valueOf(batch), json);
                if (applied != accepted) {
                    System.out.println("[bench] MISMATCH ledger holds " + applied + " events, ingest accepted " + accepted
                            + " (the backlog did not drain within " + DRAIN_TIMEOUT
                            + ", or made no progress for " + STALLED + ")");
                    discrepancies++;
                }
                // a refused request is an event the proxy would have to retry: count it
                discrepancies += figures.non2xx() + figures.socketErrors();
            }
            result.put("by_batch_size", byBatch).put("events_accepted", accepted).put("discrepancies", discrepancies);
            return result;
        }
    }

    /** Each request a batch of events with ids of their own (thread and counter), random users and sizes. */
    private String script(String run, int batch, String key) {
        return """
                local threads = 0
                function setup(thread) thread:set("tid", threads); threads = threads + 1 end
                local n = 0
                local headers = {["Authorization"]="Bearer %s", ["Content-Type"]="application/json"}
                request = function()
                  local events = {}
                  for i = 1, %d do
                    n = n + 1
                    events[i] = '{"event_id":"%s-b%d-' .. tid .. '-' .. n .. '","user_id":"ingest-u' .. math.random(1, %d)
                      .. '","provider":"openai","model":"gpt-4o","input_tokens":' .. math.random(50, 4000)
                      .. ',"output_tokens":' .. math.random(0, 1200) .. '}'
                  end
                  return wrk.format("POST", nil, headers, "[" .. table.concat(events, ",") .. "]")
                end
                """.formatted(key, batch, run, batch, options.users());
    }

    /**
     * Waits until the ledger holds every event ingest accepted. Ingest's own counter is the reference, not wrk's:
     * requests still in flight when wrk stops are accepted by ingest but not counted by wrk.
     */
    private long awaitApplied(BenchSystem system) throws Exception {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        long applied = applied(system);
        long lastProgress = System.nanoTime();
        while (applied != acceptedByIngest(system) && System.nanoTime() < deadline && System.nanoTime() - lastProgress < STALLED.toNanos()) {
            Thread.sleep(250);
            long now = applied(system);
            if (now != applied) {
                applied = now;
                lastProgress = System.nanoTime();
            }
        }
        return applied;
    }

    private long acceptedByIngest(BenchSystem system) throws Exception {
        Matcher accepted = ACCEPTED.matcher(system.ingestMetrics());
        return accepted.find() ? (long) Double.parseDouble(accepted.group(1)) : 0;
    }

    private static long applied(BenchSystem system) throws Exception {
        try (var c = system.connect(); Statement s = c.createStatement(); ResultSet row = s.executeQuery("SELECT count(*) FROM usage_events")) {
            row.next();
            return row.getLong(1);
        }
    }
}
