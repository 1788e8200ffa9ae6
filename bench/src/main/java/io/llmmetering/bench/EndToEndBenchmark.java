package io.llmmetering.bench;

import io.llmmetering.local.Workload;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.local.LocalSettings;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The real pipeline on this machine: the local system in this JVM (KRaft broker, exactly-once topology, batch
 * applier into its own fresh PostgreSQL database, Redis), fed straight into {@code usage.events} as fast as the
 * producer goes. Measures events/s from the first publish to the last debit applied, the latency from publish to
 * the debit's commit (from each event's {@code occurred_at}, set at publish, and {@code applied_at}), the lag
 * over time, and checks every user's charge against the workload's expected spend to the nano-credit. Part of
 * a command-line tool: progress and mismatches go to stdout.
 */
final class EndToEndBenchmark {

    /** Waiting for the backlog after the last publish: at least this, and longer for big runs (see settleTimeout). */
    private static final Duration MIN_SETTLE_TIMEOUT = Duration.ofMinutes(15);

    private final BenchOptions options;
    private final PriceBook book;

    EndToEndBenchmark(BenchOptions options, PriceBook book) {
        this.options = options;
        this.book = book;
    }

    BenchResult run() throws Exception {
        String run = BenchOptions.runId();
        BenchResult result = new BenchResult("e2e").put("events", options.events()).put("users", options.users())
                .put("duplicate_rate", options.duplicateRate()).put("via", options.via()).put("rate_limit", options.rate() == 0 ? "none" : options.rate());
        try (BenchSystem system = new BenchSystem(options, "bench_e2e_" + run)) {
            LocalSettings settings = system.settings;
            Path dataDir = system.dataDir;
            Workload workload = new Workload("bench-" + run, options.users(), options.duplicateRate(), options.seed(), book);
            long[] expected = new long[options.users()];
            long unique = 0;
            long invalid = 0;
            List<long[]> lag = new ArrayList<>();
            long started;
            long published;
            long failures;
            try (EventSink sink = EventSink.to(options.via(), system)) {
                started = System.nanoTime();
                long lastReport = started;
                Workload.Call call = null;
                for (published = 0; published < options.events(); published++) {
                    if (options.rate() > 0) {
                        // paced: event n leaves no earlier than n / rate seconds after the first
                        long due = started + published * 1_000_000_000L / options.rate();
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        }
                    }
                    call = workload.next(call);
                    if (!call.duplicate()) {
                        if (call.valid()) {
                            unique++;
                            expected[call.user()] += call.costNanos();
                        } else {
                            invalid++;
                        }
                    }
                    sink.send(call, workload.userId(call.user()));
                    if (System.nanoTime() - lastReport > 2_000_000_000L) {
                        lastReport = System.nanoTime();
                        lag.add(new long[]{(lastReport - started) / 1_000_000, published, applied(settings)});
                        progress(published, started, lag.get(lag.size() - 1)[2], unique);
                    }
                }
                sink.flush();
                failures = sink.failures();
            }
            Duration settleTimeout = settleTimeout(options.events());
            long deadline = System.nanoTime() + settleTimeout.toNanos();
            long applied = applied(settings);
            while (applied < unique && System.nanoTime() < deadline) {
                Thread.sleep(250);
                applied = applied(settings);
                long now = System.nanoTime();
                if (lag.isEmpty() || now - started - lag.get(lag.size() - 1)[0] * 1_000_000 > 2_000_000_000L) {
                    lag.add(new long[]{(now - started) / 1_000_000, published, applied});
                    progress(published, started, applied, unique);
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.println();
            result.put("unique_valid_events", unique).put("invalid_events", invalid).put("publish_failures", failures)
                    .put("applied", applied).put("seconds", round(seconds))
                    .put("events_per_second", Math.round(published / seconds))
                    .put("unique_events_per_second", Math.round(unique / seconds));
            latency(settings, result);
            // events still unapplied when the wait ended are reported apart, so a timeout is not read as wrong charges
            result.put("unapplied_at_settle_timeout", unique - applied).put("settle_timeout_seconds", settleTimeout.toSeconds());
            long discrepancies = discrepancies(settings, workload, expected) + (applied == unique ? 0 : 1) + failures;
            sizes(settings, dataDir, result);
            result.put("lag_over_time", lag.stream().map(point -> Map.of("ms", point[0], "published", point[1], "applied", point[2])).toList());
            result.put("discrepancies", discrepancies);
            return result;
        }
    }

    private static void progress(long published, long started, long applied, long unique) {
        double seconds = Math.max(0.001, (System.nanoTime() - started) / 1e9);
        System.out.printf("\r[bench] published %,d (%,.0f/s)  applied %,d of %,d unique  ", published, published / seconds, applied, unique);
        System.out.flush();
    }

    private Connection connect(LocalSettings settings) throws SQLException {
        return DriverManager.getConnection(settings.databaseUrl(), settings.databaseUser(), options.databasePassword());
    }

    /** Every event in this fresh database is the benchmark's. */
    private long applied(LocalSettings settings) throws SQLException {
        try (Connection c = connect(settings); Statement s = c.createStatement(); ResultSet row = s.executeQuery("SELECT count(*) FROM usage_events")) {
            row.next();
            return row.getLong(1);
        }
    }

    private void latency(LocalSettings settings, BenchResult result) throws SQLException {
        try (Connection c = connect(settings); Statement s = c.createStatement(); ResultSet row = s.executeQuery("""
                SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ms), max(ms)
                  FROM (SELECT extract(epoch FROM applied_at - occurred_at) * 1000 AS ms FROM usage_events) x
                """)) {
            row.next();
            Double[] percentiles = (Double[]) row.getArray(1).getArray();
            result.put("latency_ms_p50", Math.round(percentiles[0])).put("latency_ms_p95", Math.round(percentiles[1]))
                    .put("latency_ms_p99", Math.round(percentiles[2])).put("latency_ms_max", Math.round(row.getDouble(2)));
        }
        // the second half of the run by publish time: the JVMs are warm and a start-up backlog has drained
        try (Connection c = connect(settings); Statement s = c.createStatement(); ResultSet row = s.executeQuery("""
                WITH span AS (SELECT min(occurred_at) + (max(occurred_at) - min(occurred_at)) / 2 AS middle FROM usage_events)
                SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM applied_at - occurred_at) * 1000)
                  FROM usage_events, span WHERE occurred_at >= span.middle
                """)) {
            row.next();
            Double[] percentiles = (Double[]) row.getArray(1).getArray();
            result.put("latency_second_half_ms_p50", Math.round(percentiles[0])).put("latency_second_half_ms_p95", Math.round(percentiles[1]))
                    .put("latency_second_half_ms_p99", Math.round(percentiles[2]));
        }
    }

    /** Users whose charge or ledger differs from the workload's expected spend, to the nano-credit. */
    private long discrepancies(LocalSettings settings, Workload workload, long[] expected) throws SQLException {
        Map<String, BigDecimal> balances = new HashMap<>();
        Map<String, BigDecimal> ledger = new HashMap<>();
        try (Connection c = connect(settings); Statement s = c.createStatement()) {
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
        for (int user = 0; user < expected.length; user++) {
            String id = workload.userId(user);
            BigDecimal charged = balances.getOrDefault(id, BigDecimal.ZERO).negate();
            BigDecimal want = BigDecimal.valueOf(expected[user], 9);
            if (charged.compareTo(want) != 0 || balances.getOrDefault(id, BigDecimal.ZERO).compareTo(ledger.getOrDefault(id, BigDecimal.ZERO)) != 0) {
                if (discrepancies < 10) {
                    System.out.println("[bench] MISMATCH " + id + " expected " + want.toPlainString() + " charged " + charged.toPlainString());
                }
                discrepancies++;
            }
        }
        return discrepancies;
    }

    private void sizes(LocalSettings settings, Path dataDir, BenchResult result) throws Exception {
        try (Connection c = connect(settings); Statement s = c.createStatement(); ResultSet row = s.executeQuery("""
                SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'usage_events'::regclass
                """)) {
            row.next();
            result.put("usage_events_mib", row.getLong(1) >> 20);
        }
        try (Stream<Path> files = Files.walk(dataDir.resolve("streams"))) {
            result.put("state_store_mib", files.filter(Files::isRegularFile).mapToLong(path -> path.toFile().length()).sum() >> 20);
        }
    }

    /** A 5,000,000-event run publishes in about a minute and drains for half an hour on 2 cores: wait for 1,500 events/s. */
    static Duration settleTimeout(long events) {
        Duration forTheBacklog = Duration.ofSeconds(events / 1_500);
        return forTheBacklog.compareTo(MIN_SETTLE_TIMEOUT) > 0 ? forTheBacklog : MIN_SETTLE_TIMEOUT;
    }

    static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
