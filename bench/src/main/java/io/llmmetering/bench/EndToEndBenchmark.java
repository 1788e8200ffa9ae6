package io.llmmetering.bench;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.local.Workload;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The real pipeline on this machine: the local system in this JVM (KRaft broker, exactly-once topology, batch
 * applier into its own fresh PostgreSQL database, Redis), fed with a workload generated and serialized before
 * any clock starts. A warm-up is published and applied first (JIT, caches, accounts); then either the measured
 * events go as fast as the producer sends them (throughput: first publish to last debit applied), or, with
 * {@code --rate}, each rate is held for a while and measured (is the lag bounded, how long until a user's
 * cached balance shows a charge). Every run reports the CPU each process spent per event, the Kafka records and
 * PostgreSQL rows written per event, and checks every user's charge against the workload to the nano-credit.
 * Progress comes from the applier's own counter, so measuring costs the pipeline nothing. Part of a
 * command-line tool: progress and mismatches go to stdout.
 */
final class EndToEndBenchmark {

    /** Waiting for the backlog after the last publish: at least this, and longer for big runs (see settleTimeout). */
    private static final Duration MIN_SETTLE_TIMEOUT = Duration.ofMinutes(15);
    /** A paced step's backlog must drain within this before the next step starts. */
    private static final Duration STEP_DRAIN_TIMEOUT = Duration.ofMinutes(3);
    /** The warm-up ends when the JIT's share of all CPU in a pass is below this. */
    private static final double JIT_SETTLED_SHARE = 0.10;
    /** How long the idle system's CPU is measured before paced steps. */
    private static final Duration IDLE_MEASURE = Duration.ofSeconds(5);
    /** Latency probes per second of publishing, whatever the rate. */
    private static final int PROBES_PER_SECOND = 50;

    private final BenchOptions options;
    private final PriceBook book;

    EndToEndBenchmark(BenchOptions options, PriceBook book) {
        this.options = options;
        this.book = book;
    }

    BenchResult run() throws Exception {
        String run = BenchOptions.runId();
        boolean paced = !options.rates().isEmpty();
        BenchResult result = new BenchResult("e2e").put("users", options.users()).put("duplicate_rate", options.duplicateRate())
                .put("via", options.via()).put("mode", paced ? "paced" : "as fast as the producer sends");
        if (options.via().equals("http")) {
            result.put("http_senders", options.httpSenders()).put("http_batch", options.httpBatch());
        }
        long warmupEvents = options.warmupEvents() * options.warmupPasses(); // prepared; passes end when the JIT settles
        long measuredEvents = paced ? options.rates().stream().mapToLong(rate -> rate * (options.warmupSeconds() + options.seconds())).sum()
                : options.events();
        long probeEvery = Math.max(1, (paced ? options.rates().get(0) : 20_000) / PROBES_PER_SECOND);

        long preparing = System.nanoTime();
        Workload workload = new Workload("bench-" + run, options.users(), options.duplicateRate(), options.seed(), book,
                options.userMix());
        PreparedEvents events = PreparedEvents.generate(workload, Math.toIntExact(warmupEvents + measuredEvents), options.users(),
                (int) probeEvery, Instant.now().minusSeconds(60), options.via().equals("http"));
        result.put("events", measuredEvents)
                .put("prepare_seconds", BenchMath.round((System.nanoTime() - preparing) / 1e9));
        System.out.printf("[bench] prepared %,d events in %.1f s (outside every measurement)%n", events.size(), (System.nanoTime() - preparing) / 1e9);

        try (BenchSystem system = new BenchSystem(options, "bench_e2e_" + run);
             EventSink sink = EventSink.to(options, system, events);
             LatencyProbes probes = new LatencyProbes(events, options.redisUrl())) {
            PacedPublisher publisher = new PacedPublisher(events, sink, probes, new PipelineCounters(system.creditApiMeters()));
            if (warmupEvents > 0) {
                long warmupStarted = System.nanoTime();
                result.put("warmup_passes", warmUp(publisher)).put("warmup_events", publisher.published());
                result.put("warmup_seconds", BenchMath.round((System.nanoTime() - warmupStarted) / 1e9));
            }
            if (paced) {
                runSteps(system, publisher, probes, result);
            } else {
                runThroughput(system, publisher, probes, measuredEvents, result);
            }
            result.put("publish_failures", sink.failures()).put("user_mix", options.userMix().describe());
            int partitions = publisher.counters.partitions();
            if (partitions > 0) {
                result.put("busiest_partition_share_of_events", BenchMath.round(events.busiestPartitionShare(partitions)))
                        .put("partitions", partitions);
            }
            long discrepancies = discrepancies(system, events.expectedNanosByUser(publisher.published()), events)
                    + (publisher.applied() == publisher.uniquePublished ? 0 : 1) + sink.failures();
            sizes(system, result);
            result.put("discrepancies", discrepancies);
            return result;
        }
    }

    /**
     * Warm-up passes of {@code --warmup} events, each published as fast as it goes and applied, until the JIT's
     * compiler threads spent less than a tenth of all processes' CPU in a pass (at most {@code --warmup-passes}):
     * a run measured while the compiler still works charges its CPU to every event (40 us an event in
     * 400,000-event runs) and reads a different speed each time. Returns what each pass took.
     */
    private List<Map<String, Object>> warmUp(PacedPublisher publisher) throws Exception {
        List<Map<String, Object>> passes = new ArrayList<>();
        long perPass = options.warmupEvents();
        CpuAccounting cpu = new CpuAccounting();
        for (int pass = 1; pass <= options.warmupPasses(); pass++) {
            CpuAccounting.Snapshot before = cpu.snapshot();
            publisher.publish((int) perPass, 0, null);
            publisher.awaitApplied(settleTimeout(perPass));
            Map<String, Object> seconds = CpuAccounting.between(before, cpu.snapshot());
            double jitShare = CpuAccounting.share(seconds, "jit");
            System.out.printf("%n[bench] warm-up pass %d: %.1f s, the JIT %.0f %% of all CPU%n", pass, seconds.get("wall_seconds"), jitShare * 100);
            passes.add(Map.of("events", perPass, "wall_seconds", seconds.get("wall_seconds"), "jit_share_of_cpu", BenchMath.round(jitShare)));
            if (jitShare < JIT_SETTLED_SHARE) {
                break;
            }
        }
        return passes;
    }

    private void runThroughput(BenchSystem system, PacedPublisher publisher, LatencyProbes probes, long measuredEvents, BenchResult result)
            throws Exception {
        Measurement measurement = Measurement.start(system, publisher);
        probes.startMeasuring();
        long started = System.nanoTime();
        List<Map<String, Object>> lag = new ArrayList<>();
        publisher.publish((int) measuredEvents, 0, lag);
        probes.stopMeasuring();
        Duration settleTimeout = settleTimeout(measuredEvents);
        boolean settled = publisher.awaitApplied(settleTimeout);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.println();
        long unique = publisher.uniquePublished - measurement.uniqueAtStart;
        result.put("unique_valid_events", unique).put("invalid_events", publisher.invalidPublished - measurement.invalidAtStart)
                .put("applied", publisher.applied() - measurement.appliedAtStart).put("seconds", BenchMath.round(seconds))
                .put("events_per_second", Math.round(measuredEvents / seconds))
                .put("unique_events_per_second", Math.round(unique / seconds));
        // events still unapplied when the wait ended are reported apart, so a timeout is not read as wrong charges
        result.put("unapplied_at_settle_timeout", settled ? 0 : publisher.uniquePublished - publisher.applied())
                .put("settle_timeout_seconds", settleTimeout.toSeconds());
        latency(probes, result, "latency_publish_to_redis_ms");
        measurement.finish(unique, result);
        result.put("hottest_partition_lag_max", hottestPartitionLagMax(lag));
        result.put("lag_over_time", lag);
    }

    /**
     * Each rate held for the warm-up seconds, then measured: the lag (unique events published but not applied)
     * sampled every second, the latency probes published in the window, the CPU per event. The lag is bounded
     * when it does not grow over the window (less than 1 % of the rate per second) and stays within two seconds
     * of events. Stops at the first rate not held, after letting its backlog drain.
     */
    private void runSteps(BenchSystem system, PacedPublisher publisher, LatencyProbes probes, BenchResult result) throws Exception {
        Map<String, Object> idle = idleCpu();
        result.put("idle_cpu_seconds_per_second", idle);
        List<Map<String, Object>> steps = new ArrayList<>();
        long highestHeld = 0;
        for (long rate : options.rates()) {
            System.out.printf("[bench] step %,d events/s: %d s warm-up, %d s measured%n", rate, options.warmupSeconds(), options.seconds());
            publisher.publish(Math.toIntExact(rate * options.warmupSeconds()), rate, null);
            Measurement measurement = Measurement.start(system, publisher, false);
            probes.reset();
            probes.startMeasuring();
            List<Map<String, Object>> lag = new ArrayList<>();
            publisher.publish(Math.toIntExact(rate * options.seconds()), rate, lag);
            probes.stopMeasuring();
            BenchResult step = new BenchResult("step").put("rate", rate);
            long unique = publisher.uniquePublished - measurement.uniqueAtStart;
            step.put("unique_valid_events", unique);
            measurement.finish(unique, step);
            step.put("cpu_us_per_unique_event_above_idle", aboveIdle(step, idle, unique));
            boolean bounded = lagBounded(lag, rate);
            step.put("lag_bounded", bounded).put("lag_max", lag.stream().mapToLong(point -> (Long) point.get("lag")).max().orElse(0))
                    .put("lag_at_end", lag.isEmpty() ? 0 : lag.get(lag.size() - 1).get("lag"))
                    .put("lag_slope_per_second", BenchMath.round(slope(lag)))
                    .put("hottest_partition_lag_max", hottestPartitionLagMax(lag));
            boolean drained = publisher.awaitApplied(STEP_DRAIN_TIMEOUT);
            System.out.println();
            latency(probes, step, "latency_publish_to_redis_ms");
            step.put("lag_over_time", lag);
            steps.add(step.figures());
            System.out.println(step.summaryLine());
            if (!bounded || !drained) {
                break;
            }
            highestHeld = rate;
        }
        result.put("steps", steps).put("highest_rate_held", highestHeld);
    }

    /**
     * What the whole system spends each second with nothing to do (timers, polls, the broker's and PostgreSQL's
     * housekeeping), measured after the warm-up has drained: at a paced rate it is spread over fewer events than in
     * a flood, so the steps also report their CPU per event above it.
     */
    private static Map<String, Object> idleCpu() throws InterruptedException {
        CpuAccounting cpu = new CpuAccounting();
        CpuAccounting.Snapshot before = cpu.snapshot();
        Thread.sleep(IDLE_MEASURE.toMillis());
        Map<String, Object> seconds = CpuAccounting.between(before, cpu.snapshot());
        double wall = ((Number) seconds.get("wall_seconds")).doubleValue();
        Map<String, Object> perSecond = new LinkedHashMap<>();
        seconds.forEach((group, value) -> {
            if (!group.equals("machine_busy_share") && !group.equals("wall_seconds")) {
                perSecond.put(group, Math.round(((Number) value).doubleValue() / wall * 1_000) / 1_000.0);
            }
        });
        return perSecond;
    }

    private static Map<String, Object> aboveIdle(BenchResult step, Map<String, Object> idlePerSecond, long uniqueEvents) {
        @SuppressWarnings("unchecked")
        Map<String, Object> seconds = (Map<String, Object>) step.get("cpu_seconds");
        double wall = ((Number) seconds.get("wall_seconds")).doubleValue();
        Map<String, Object> above = new LinkedHashMap<>(seconds);
        idlePerSecond.forEach((group, idle) -> above.computeIfPresent(group,
                (name, value) -> Math.max(0, ((Number) value).doubleValue() - ((Number) idle).doubleValue() * wall)));
        return CpuAccounting.perEvent(above, uniqueEvents);
    }

    private static long hottestPartitionLagMax(List<Map<String, Object>> lag) {
        return lag.stream().mapToLong(point -> (Long) point.get("hottest_partition_lag")).max().orElse(0);
    }

    static boolean lagBounded(List<Map<String, Object>> lag, long rate) {
        if (lag.size() < 3) {
            return false;
        }
        long lastThirdMax = lag.subList(lag.size() * 2 / 3, lag.size()).stream().mapToLong(point -> (Long) point.get("lag")).max().orElse(0);
        return slope(lag) < rate * 0.01 && lastThirdMax <= rate * 2;
    }

    /** Least-squares growth of the lag, in events per second. */
    private static double slope(List<Map<String, Object>> lag) {
        int n = lag.size();
        if (n < 2) {
            return 0;
        }
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (Map<String, Object> point : lag) {
            double x = ((Long) point.get("ms")) / 1000.0;
            double y = (Long) point.get("lag");
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double denominator = n * sxx - sx * sx;
        return denominator == 0 ? 0 : (n * sxy - sx * sy) / denominator;
    }

    private static void latency(LatencyProbes probes, BenchResult result, String name) {
        long[] p = probes.percentiles();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("p50", p[0]);
        figures.put("p95", p[1]);
        figures.put("p99", p[2]);
        figures.put("max", p[3]);
        figures.put("probes", p[4]);
        result.put(name, figures);
    }

    /** Counters at the start of a measured window, and the figures per event at its end. */
    private static final class Measurement {
        private final BenchSystem system;
        private final PacedPublisher publisher;
        private final CpuAccounting cpu = new CpuAccounting();
        private final CpuAccounting.Snapshot cpuAtStart;
        private final Map<String, Long> kafkaAtStart;
        private final Map<String, Long> requestsAtStart;
        private final Map<String, Long> rowsAtStart;
        final long uniqueAtStart;
        final long invalidAtStart;
        final long appliedAtStart;

        private Measurement(BenchSystem system, PacedPublisher publisher) throws Exception {
            this.system = system;
            this.publisher = publisher;
            this.rowsAtStart = rows(system);
            this.kafkaAtStart = publisher.counters.kafkaRecords();
            this.requestsAtStart = publisher.counters.brokerRequests();
            this.uniqueAtStart = publisher.uniquePublished;
            this.invalidAtStart = publisher.invalidPublished;
            this.appliedAtStart = publisher.applied();
            this.cpuAtStart = cpu.snapshot();
        }

        /** After a drained warm-up: the rows the warm-up wrote reach the statistics first, so none count in this window. */
        static Measurement start(BenchSystem system, PacedPublisher publisher) throws Exception {
            return start(system, publisher, true);
        }

        static Measurement start(BenchSystem system, PacedPublisher publisher, boolean waitForStatistics) throws Exception {
            if (waitForStatistics) {
                Thread.sleep(PipelineCounters.STATISTICS_FLUSH_MILLIS);
            }
            return new Measurement(system, publisher);
        }

        void finish(long uniqueEvents, BenchResult result) throws Exception {
            Map<String, Object> cpuSeconds = CpuAccounting.between(cpuAtStart, cpu.snapshot());
            Map<String, Long> kafkaAtEnd = publisher.counters.kafkaRecords();
            Map<String, Long> requestsAtEnd = publisher.counters.brokerRequests();
            Thread.sleep(PipelineCounters.STATISTICS_FLUSH_MILLIS);
            Map<String, Long> rowsAtEnd = rows(system);
            result.put("applier_batches", publisher.counters.applierBatches())
                    .put("cpu_seconds", cpuSeconds).put("cpu_us_per_unique_event", CpuAccounting.perEvent(cpuSeconds, uniqueEvents))
                    .put("kafka_records_per_unique_event", PipelineCounters.perEvent(kafkaAtStart, kafkaAtEnd, uniqueEvents))
                    // the broker's CPU goes by requests more than by records: how many, of which kind, each second
                    .put("broker_requests_per_second", perSecond(requestsAtStart, requestsAtEnd, ((Number) cpuSeconds.get("wall_seconds")).doubleValue()))
                    .put("postgres_rows_per_unique_event", PipelineCounters.perEvent(rowsAtStart, rowsAtEnd, uniqueEvents));
        }

        private static Map<String, Object> perSecond(Map<String, Long> from, Map<String, Long> to, double seconds) {
            Map<String, Object> rates = new TreeMap<>();
            to.forEach((type, count) -> {
                long delta = count - from.getOrDefault(type, 0L);
                if (delta > 0) {
                    rates.put(type, Math.round(delta / seconds));
                }
            });
            return rates;
        }

        private static Map<String, Long> rows(BenchSystem system) throws SQLException {
            try (Connection c = system.connect()) {
                return PipelineCounters.postgresRows(c);
            }
        }
    }

    /** Users whose charge or ledger differs from the workload's expected spend, to the nano-credit. */
    private static long discrepancies(BenchSystem system, long[] expectedNanosByUser, PreparedEvents events) throws SQLException {
        Map<String, BigDecimal> balances = new HashMap<>();
        Map<String, BigDecimal> ledger = new HashMap<>();
        try (Connection c = system.connect(); Statement s = c.createStatement()) {
            try (ResultSet row = s.executeQuery("SELECT user_id, balance FROM user_credits")) {
                while (row.next()) {
                    balances.put(row.getString(1), row.getBigDecimal(2));
                }
            }
            try (ResultSet row = s.executeQuery("SELECT user_id, sum(amount) FROM credit_transactions GROUP BY user_id")) {
                while (row.next()) {
                    ledger.put(row.getString(1), row.getBigDecimal(2));
                }
            }
        }
        long discrepancies = 0;
        for (int user = 0; user < expectedNanosByUser.length; user++) {
            String id = events.userId(user);
            BigDecimal charged = balances.getOrDefault(id, BigDecimal.ZERO).negate();
            BigDecimal want = BigDecimal.valueOf(expectedNanosByUser[user], 9);
            if (charged.compareTo(want) != 0 || balances.getOrDefault(id, BigDecimal.ZERO).compareTo(ledger.getOrDefault(id, BigDecimal.ZERO)) != 0) {
                if (discrepancies < 10) {
                    System.out.println("[bench] MISMATCH " + id + " expected " + want.toPlainString() + " charged " + charged.toPlainString());
                }
                discrepancies++;
            }
        }
        return discrepancies;
    }

    private static void sizes(BenchSystem system, BenchResult result) throws Exception {
        try (Connection c = system.connect(); Statement s = c.createStatement(); ResultSet row = s.executeQuery("""
                SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'usage_events'::regclass
                """)) {
            row.next();
            result.put("usage_events_mib", row.getLong(1) >> 20);
        }
        try (Stream<Path> files = Files.walk(system.dataDir.resolve("streams"))) {
            result.put("state_store_mib", files.filter(Files::isRegularFile).mapToLong(path -> path.toFile().length()).sum() >> 20);
        }
    }

    /** A 5,000,000-event run publishes in about a minute and drains for half an hour on 2 cores: wait for 1,500 events/s. */
    static Duration settleTimeout(long events) {
        Duration forTheBacklog = Duration.ofSeconds(events / 1_500);
        return forTheBacklog.compareTo(MIN_SETTLE_TIMEOUT) > 0 ? forTheBacklog : MIN_SETTLE_TIMEOUT;
    }
}
