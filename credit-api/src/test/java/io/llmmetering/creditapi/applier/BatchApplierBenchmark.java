package io.llmmetering.creditapi.applier;

import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Debits per second into PostgreSQL: {@link BatchApplier} with batches of 1,000 and 5,000 over 100,000 users,
 * against the seed system's way (one transaction per debit: lock and read the balance, update it, insert a
 * ledger row) on one connection, in the same run on the same database.
 * Run: {@code ./mvnw -B -Pbenchmark -pl credit-api -am verify -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("benchmark")
@ExtendWith(PostgresDatabaseExtension.class)
class BatchApplierBenchmark {

    private static final int USERS = 100_000;
    private static final long T0 = 1_763_000_000_000L;

    @Test
    void batchedAgainstOneTransactionPerDebit(TestDatabase database) throws SQLException {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        // a pool, as in the service: a new connection per batch would pay backend start-up and a cold catalog
        // cache (about 200 ms a batch here) on every batch
        com.zaxxer.hikari.HikariDataSource dataSource = new com.zaxxer.hikari.HikariDataSource();
        dataSource.setJdbcUrl(database.jdbcUrl());
        dataSource.setUsername(database.user());
        dataSource.setMaximumPoolSize(2);
        int debitsPerRun = Integer.getInteger("bench.debits", 200_000);
        System.out.printf("%nledger benchmark: %,d debits per run over %,d users%n", debitsPerRun, USERS);

        // every account exists before any run, so each run pays the same
        try (Connection c = dataSource.getConnection(); java.sql.Statement s = c.createStatement()) {
            s.execute("INSERT INTO user_credits (user_id) SELECT 'bench-user-' || g FROM generate_series(0, " + (USERS - 1) + ") g");
        }
        run(dataSource, "warmup", debitsPerRun / 4, 5_000);
        double batch1000 = run(dataSource, "b1000", debitsPerRun, 1_000);
        double batch5000 = run(dataSource, "b5000", debitsPerRun, 5_000);
        double twoAppliers = runConcurrently(dataSource, "two", debitsPerRun, 5_000);
        double perDebit = perDebitTransactions(dataSource, Integer.getInteger("bench.baseline.debits", 10_000));

        System.out.printf("batches of 1,000      : %,10.0f debits/s%n", batch1000);
        System.out.printf("batches of 5,000      : %,10.0f debits/s%n", batch5000);
        System.out.printf("2 appliers, 5,000     : %,10.0f debits/s (partitions split between two instances)%n", twoAppliers);
        System.out.printf("one transaction each  : %,10.0f debits/s (baseline, 1 connection)%n", perDebit);
        System.out.printf("batches of 5,000 are %.0fx the baseline%n", batch5000 / perDebit);
        assertThat(batch5000).isPositive();
        dataSource.close();
    }

    private static List<LedgerDebit> debits(String prefix, int count) {
        Random random = new Random(prefix.hashCode());
        List<LedgerDebit> debits = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String user = "bench-user-" + random.nextInt(USERS);
            debits.add(new LedgerDebit(prefix + "-" + i, user, 1 + random.nextInt(10_000_000), "gpt-4o", "openai", 1000, 200, 0,
                    "balanced", "free", T0 + i, T0 + i + 3, "v1", "bench"));
        }
        return debits;
    }

    private static void applyAll(BatchApplier applier, List<LedgerDebit> debits, int partition, int batchSize) throws SQLException {
        for (int from = 0; from < debits.size(); from += batchSize) {
            int to = Math.min(debits.size(), from + batchSize);
            applier.apply(debits.subList(from, to), List.of(new PartitionOffset("credit.debits", partition, to)));
        }
    }

    /** Two appliers, each owning the users of half the partitions, as two credit-api instances would. */
    private static double runConcurrently(DataSource dataSource, String prefix, int count, int batchSize) throws SQLException {
        List<LedgerDebit> all = debits(prefix, count);
        List<List<LedgerDebit>> halves = List.of(new ArrayList<>(), new ArrayList<>());
        all.forEach(debit -> halves.get(Math.floorMod(debit.userId().hashCode(), 2)).add(debit));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        long started = System.nanoTime();
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int half = 0; half < 2; half++) {
                int partition = half;
                done.add(pool.submit(() -> {
                    applyAll(new BatchApplier(dataSource, "bench-" + prefix + "-" + partition), halves.get(partition), partition, batchSize);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> future : done) {
                future.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdown();
        }
        double perSecond = count / ((System.nanoTime() - started) / 1e9);
        System.out.printf("  run %-7s batch %,6d: %,10.0f debits/s (2 appliers)%n", prefix, batchSize, perSecond);
        return perSecond;
    }

    private static double run(DataSource dataSource, String prefix, int count, int batchSize) throws SQLException {
        BatchApplier applier = new BatchApplier(dataSource, "bench-" + prefix);
        List<LedgerDebit> debits = debits(prefix, count);
        long started = System.nanoTime();
        applyAll(applier, debits, 0, batchSize);
        double perSecond = count / ((System.nanoTime() - started) / 1e9);
        System.out.printf("  run %-7s batch %,6d: %,10.0f debits/s%n", prefix, batchSize, perSecond);
        return perSecond;
    }

    private static double perDebitTransactions(DataSource dataSource, int count) throws SQLException {
        Random random = new Random(11);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement lock = connection.prepareStatement("SELECT balance FROM user_credits WHERE user_id = ? FOR UPDATE");
             PreparedStatement update = connection.prepareStatement("UPDATE user_credits SET balance = ?, updated_at = now() WHERE user_id = ?");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, reason, provider, model, tokens_used) "
                             + "VALUES (?, ?, ?, 'usage', 'LLM usage', 'openai', 'gpt-4o', 1200)")) {
            connection.setAutoCommit(false);
            long started = System.nanoTime();
            for (int i = 0; i < count; i++) {
                String user = "bench-user-" + random.nextInt(USERS);
                BigDecimal amount = BigDecimal.valueOf(1 + random.nextInt(10_000_000), 9);
                lock.setString(1, user);
                BigDecimal balance;
                try (ResultSet row = lock.executeQuery()) {
                    row.next();
                    balance = row.getBigDecimal(1);
                }
                BigDecimal after = balance.subtract(amount);
                update.setBigDecimal(1, after);
                update.setString(2, user);
                update.executeUpdate();
                insert.setString(1, user);
                insert.setBigDecimal(2, amount.negate());
                insert.setBigDecimal(3, after);
                insert.executeUpdate();
                connection.commit();
            }
            return count / ((System.nanoTime() - started) / 1e9);
        }
    }

}
