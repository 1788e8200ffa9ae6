package io.llmmetering.bench;

import io.llmmetering.local.Workload;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The system users run today, as the seed's Python credit system applies usage: one synchronous PostgreSQL
 * transaction per event (lock and read the balance, update it, insert a ledger row), by C workers, through the
 * same JDBC driver, on the same schema and the same workload (its unique valid events: the per-event system
 * would also charge the duplicates, which only flatters it here). Run at each pool size asked for. Part of a
 * command-line tool: each pool size's figure goes to stdout.
 */
final class BaselineBenchmark {

    private static final String LOCK = "SELECT balance FROM user_credits WHERE user_id = ? FOR UPDATE";
    private static final String CHARGE = "UPDATE user_credits SET balance = balance - ?, updated_at = now() WHERE user_id = ? RETURNING balance";
    private static final String RECORD = """
            INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, reason, provider, model, tokens_used, power_level)
            VALUES (?, ?, ?, 'usage', 'LLM usage', ?, ?, ?, ?)
            """;

    private final BenchOptions options;
    private final PriceBook book;

    BaselineBenchmark(BenchOptions options, PriceBook book) {
        this.options = options;
        this.book = book;
    }

    BenchResult run() throws Exception {
        String run = BenchOptions.runId();
        String database = "bench_base_" + run;
        String url = options.databaseBase() + database;
        DatabaseMigrator migrator = new DatabaseMigrator(new DatabaseTarget(url, options.databaseUser(), options.databasePassword()));
        migrator.createDatabaseIfMissing();
        migrator.migrate();
        BenchResult result = new BenchResult("baseline").put("events", options.events()).put("users", options.users());
        try {
            Workload workload = new Workload("bench-" + run, options.users(), options.duplicateRate(), options.seed(), book,
                options.userMix());
            List<Workload.Call> calls = new ArrayList<>();
            Workload.Call call = null;
            for (long i = 0; i < options.events(); i++) {
                call = workload.next(call);
                if (call.valid() && !call.duplicate()) {
                    calls.add(call);
                }
            }
            openAccounts(url, workload);
            Map<String, Long> perPool = new LinkedHashMap<>();
            long best = 0;
            int bestPool = 0;
            for (int connections : options.connections()) {
                double seconds = apply(url, workload, calls, connections);
                long rate = Math.round(calls.size() / seconds);
                perPool.put(String.valueOf(connections), rate);
                System.out.printf("[bench] baseline: %,d events with %d connection(s) in %.1f s: %,d events/s%n", calls.size(), connections, seconds, rate);
                if (rate > best) {
                    best = rate;
                    bestPool = connections;
                }
            }
            long discrepancies = ledgerMismatches(url, options.connections().size());
            return result.put("unique_valid_events", calls.size()).put("events_per_second_by_connections", perPool)
                    .put("events_per_second", best).put("best_connections", bestPool).put("discrepancies", discrepancies);
        } finally {
            try (Connection c = DriverManager.getConnection(options.databaseBase() + "postgres", options.databaseUser(), options.databasePassword());
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    private Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url, options.databaseUser(), options.databasePassword());
    }

    private void openAccounts(String url, Workload workload) throws SQLException {
        try (Connection c = connect(url); PreparedStatement open = c.prepareStatement(
                "INSERT INTO user_credits (user_id, balance) SELECT ? || g, 1000000 FROM generate_series(0, ? - 1) g")) {
            open.setString(1, workload.userPrefix());
            open.setInt(2, options.users());
            open.executeUpdate();
        }
    }

    private double apply(String url, Workload workload, List<Workload.Call> calls, int connections) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(connections);
        long started = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < connections; w++) {
                running.add(workers.submit(() -> {
                    try (Connection c = connect(url); PreparedStatement lock = c.prepareStatement(LOCK);
                         PreparedStatement charge = c.prepareStatement(CHARGE); PreparedStatement record = c.prepareStatement(RECORD)) {
                        c.setAutoCommit(false);
                        for (int i = next.getAndIncrement(); i < calls.size(); i = next.getAndIncrement()) {
                            Workload.Call call = calls.get(i);
                            String user = workload.userId(call.user());
                            BigDecimal cost = BigDecimal.valueOf(call.costNanos(), 9);
                            lock.setString(1, user);
                            lock.executeQuery().close();
                            charge.setBigDecimal(1, cost);
                            charge.setString(2, user);
                            BigDecimal after;
                            try (ResultSet row = charge.executeQuery()) {
                                row.next();
                                after = row.getBigDecimal(1);
                            }
                            record.setString(1, user);
                            record.setBigDecimal(2, cost.negate());
                            record.setBigDecimal(3, after);
                            record.setString(4, "bench");
                            record.setString(5, call.model());
                            record.setLong(6, call.inputTokens() + call.outputTokens());
                            record.setString(7, call.powerLevel());
                            record.executeUpdate();
                            c.commit();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : running) {
                worker.get();
            }
        } finally {
            workers.shutdownNow();
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /** After every run the baseline's ledger must still sum to its balances (what it costs is the only question). */
    private long ledgerMismatches(String url, int runs) throws SQLException {
        try (Connection c = connect(url); Statement s = c.createStatement(); ResultSet row = s.executeQuery("""
                SELECT count(*) FROM user_credits u
                 WHERE u.balance <> 1000000 + coalesce((SELECT sum(amount) FROM credit_transactions t WHERE t.user_id = u.user_id), 0)
                """)) {
            row.next();
            return row.getLong(1);
        }
    }
}
