package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.CreditLedger;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.accounts.LedgerReceipt;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceCacheRetries;
import io.llmmetering.creditapi.holds.SpendHolds;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.RedisExtension;
import io.llmmetering.testsupport.TestDatabase;
import io.llmmetering.testsupport.TestRedis;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The batched path against PostgreSQL: the same answers and the same rows as one transaction per request, no
 * overshoot under concurrency, a request PostgreSQL refuses fails alone, and plans that find rows by key.
 */
@Tag("integration")
@ExtendWith({PostgresDatabaseExtension.class, RedisExtension.class})
class SpendBatcherTest {

    private static final Duration TTL = Duration.ofMinutes(10);
    private static DataSource dataSource;
    private static BalanceCache cache;
    private static BalanceCacheRetries cacheRetries;
    private static CreditLedger ledger;
    private static SpendHolds holds;
    private static HikariDataSource spendPool;
    private static SpendBatcher batcher;

    @BeforeAll
    static void start(TestDatabase database, TestRedis redis) {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        dataSource = database.dataSource();
        cache = new BalanceCache(redis.uri(), Duration.ofSeconds(60), new SimpleMeterRegistry());
        cacheRetries = new BalanceCacheRetries(cache);
        ledger = new CreditLedger(dataSource, cacheRetries, new SimpleMeterRegistry());
        holds = new SpendHolds(dataSource, new SimpleMeterRegistry());
        spendPool = new HikariDataSource();
        spendPool.setJdbcUrl(database.jdbcUrl());
        spendPool.setUsername(database.user());
        spendPool.setMaximumPoolSize(3);
        spendPool.setConnectionInitSql(SpendBatcher.KEY_LOOKUPS_ONLY);
        batcher = new SpendBatcher(spendPool, cacheRetries, 1_000, new SimpleMeterRegistry());
    }

    @AfterAll
    static void stop() {
        batcher.close();
        spendPool.close();
        cache.close();
    }

    private static String funded(String name, String amount, String monthlyCap) throws SQLException {
        String user = name + "-" + UUID.randomUUID() + "@example.com";
        ledger.credit(user, Credits.parse(amount), "allocation", "test", "admin", Optional.empty());
        if (monthlyCap != null) {
            try (Connection c = dataSource.getConnection(); PreparedStatement cap = c.prepareStatement(
                    "UPDATE user_credits SET monthly_cap = ? WHERE user_id = ?")) {
                cap.setBigDecimal(1, Credits.parse(monthlyCap).toBigDecimal());
                cap.setString(2, user);
                cap.executeUpdate();
            }
        }
        return user;
    }

    private static SpendRequest.PlaceHold hold(String user, String requestId, String estimate) {
        return new SpendRequest.PlaceHold(user, requestId, Credits.parse(estimate), TTL, "proxy");
    }

    private static SpendRequest.Deduct deduct(String user, String amount, String key) {
        return new SpendRequest.Deduct(user, Credits.parse(amount), "API deduction", UsageDetails.none(), Optional.ofNullable(key));
    }

    /** An answer without what differs between two accounts by design (ids, the user, the expiry instant). */
    private static String shape(Object answer) {
        if (answer instanceof SpendHolds.Hold hold) {
            return "hold " + hold.amount() + " " + hold.status() + " available " + hold.available() + (hold.replayed() ? " replayed" : "");
        }
        if (answer instanceof LedgerReceipt receipt) {
            return "receipt " + receipt.amount() + " balance " + receipt.newBalance() + (receipt.replayed() ? " replayed" : "");
        }
        if (answer instanceof LedgerRefusal refusal) {
            return "refused " + refusal.reason() + ": " + refusal.getMessage();
        }
        return "status " + answer;
    }

    /** Each request in a transaction of its own, as {@link OneTransactionPerRequest} applies it. */
    private static Object alone(SpendRequest request) throws SQLException {
        Spending oneByOne = new OneTransactionPerRequest(holds, ledger);
        try {
            if (request instanceof SpendRequest.PlaceHold hold) {
                return oneByOne.placeHold(hold.userId(), hold.requestId(), hold.estimate(), hold.ttl(), hold.actor());
            }
            if (request instanceof SpendRequest.VoidHold release) {
                return oneByOne.voidHold(release.holdId(), release.userId());
            }
            SpendRequest.Deduct deduct = (SpendRequest.Deduct) request;
            return oneByOne.deduct(deduct.userId(), deduct.amount(), deduct.reason(), deduct.usage(), deduct.idempotencyKey());
        } catch (LedgerRefusal refusal) {
            return refusal;
        }
    }

    private static String row(String user) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement read = c.prepareStatement("""
                SELECT balance, held, month_to_date_spend, balance_version,
                       (SELECT sum(amount) FROM credit_transactions t WHERE t.user_id = u.user_id),
                       (SELECT count(*) FROM credit_transactions t WHERE t.user_id = u.user_id),
                       (SELECT coalesce(sum(amount), 0) FROM credit_holds h WHERE h.user_id = u.user_id AND h.status = 'active'),
                       (SELECT string_agg(status, ',' ORDER BY request_id) FROM credit_holds h WHERE h.user_id = u.user_id)
                  FROM user_credits u WHERE user_id = ?""")) {
            read.setString(1, user);
            try (ResultSet r = read.executeQuery()) {
                r.next();
                return "balance " + r.getBigDecimal(1) + " held " + r.getBigDecimal(2) + " month " + r.getBigDecimal(3) + " version "
                        + r.getLong(4) + " ledger " + r.getBigDecimal(5) + " in " + r.getLong(6) + " rows, active holds " + r.getBigDecimal(7)
                        + " holds " + r.getString(8);
            }
        }
    }

    @Test
    void aBatchAnswersAndWritesWhatOneTransactionPerRequestDoes() throws SQLException {
        String single = funded("single", "1.00", "0.9");
        String batched = funded("batched", "1.00", "0.9");
        List<java.util.function.Function<String, SpendRequest>> before = List.of(
                user -> hold(user, "r1", "0.3"), user -> hold(user, "r1", "0.3"), user -> hold(user, "r1", "0.4"),
                user -> deduct(user, "0.2", "k1"), user -> deduct(user, "0.2", "k1"), user -> deduct(user, "0.3", "k1"),
                user -> deduct(user, "0.5", null), user -> hold(user, "r2", "5"));
        List<String> expected = new ArrayList<>();
        List<String> everyAnswer = new ArrayList<>();
        for (var request : before) {
            expected.add(shape(alone(request.apply(single))));
        }
        List<Object> answers = batcher.transact(before.stream().map(request -> request.apply(batched)).toList());
        assertThat(answers.stream().map(SpendBatcherTest::shape).toList()).containsExactlyElementsOf(expected);
        everyAnswer.addAll(expected);
        assertThat(answers.get(0)).isInstanceOfSatisfying(SpendHolds.Hold.class, hold -> assertThat(hold.expiresAt()).isNotNull());

        UUID singleHold = ((SpendHolds.Hold) alone(hold(single, "r1", "0.3"))).id();
        UUID batchedHold = ((SpendHolds.Hold) answers.get(0)).id();
        List<java.util.function.Function<String, SpendRequest>> after = List.of(
                user -> deduct(user, "0.5", null), user -> hold(user, "r3", "0.3"), user -> hold(user, "r4", "0.1"));
        expected.clear();
        expected.add(shape(alone(new SpendRequest.VoidHold(singleHold, single))));
        for (var request : after) {
            expected.add(shape(alone(request.apply(single))));
        }
        expected.add(shape(alone(new SpendRequest.VoidHold(singleHold, single))));
        List<SpendRequest> second = new ArrayList<>();
        second.add(new SpendRequest.VoidHold(batchedHold, batched));
        after.forEach(request -> second.add(request.apply(batched)));
        second.add(new SpendRequest.VoidHold(batchedHold, batched));
        assertThat(batcher.transact(second).stream().map(SpendBatcherTest::shape).toList()).containsExactlyElementsOf(expected);
        everyAnswer.addAll(expected);

        assertThat(row(batched)).isEqualTo(row(single));
        assertThat(everyAnswer).contains("refused MONTHLY_CAP_REACHED: this month's spend plus active holds would pass the monthly cap",
                "refused IDEMPOTENCY_KEY_REUSED: request_id r1 already holds 0.3; a retry must send the same estimate (0.4 was sent)");
        assertThat(cache.get(batched)).contains(Credits.parse("0.3"));
    }

    /** The block the ledger shows (spend_blocked_reason) follows a deduct at once, on both paths, not at the next applier batch. */
    @Test
    void aDeductThatEmptiesTheAccountOrReachesTheCapSetsTheBlockedReasonOnBothPaths() throws SQLException {
        String emptiedAlone = funded("emptied-alone", "1.00", null);
        String emptiedBatched = funded("emptied-batched", "1.00", null);
        String cappedAlone = funded("capped-alone", "5.00", "0.5");
        String cappedBatched = funded("capped-batched", "5.00", "0.5");
        assertThat(List.of(blockedReason(emptiedAlone), blockedReason(cappedAlone))).containsOnly("none");

        alone(deduct(emptiedAlone, "1.00", null));
        alone(deduct(cappedAlone, "0.5", null));
        batcher.transact(List.of(deduct(emptiedBatched, "0.4", null), deduct(emptiedBatched, "0.6", null), deduct(cappedBatched, "0.5", null)));

        assertThat(blockedReason(emptiedAlone)).isEqualTo("insufficient_credits");
        assertThat(blockedReason(emptiedBatched)).isEqualTo("insufficient_credits");
        assertThat(blockedReason(cappedAlone)).isEqualTo("monthly_cap_reached");
        assertThat(blockedReason(cappedBatched)).isEqualTo("monthly_cap_reached");

        ledger.credit(emptiedAlone, Credits.parse("0.01"), "allocation", "top-up", "admin", Optional.empty());
        assertThat(blockedReason(emptiedAlone)).as("a credit back above zero lifts the block").isEqualTo("none");
    }

    private static String blockedReason(String user) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement read = c.prepareStatement("SELECT coalesce(spend_blocked_reason, 'none') FROM user_credits WHERE user_id = ?")) {
            read.setString(1, user);
            try (ResultSet r = read.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        }
    }

    @Test
    void batchedAuthorizationChecksReadWhatOneCheckAtATimeReads() throws Exception {
        String capped = funded("capped", "5", "1.00");
        String suspended = funded("suspended", "5", null);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("UPDATE user_credits SET status = 'suspended' WHERE user_id = '" + suspended + "'");
        }
        batcher.placeHold(capped, "r1", Credits.parse("0.7"), TTL, "proxy");
        Spending oneByOne = new OneTransactionPerRequest(holds, ledger);
        List<String> users = List.of(capped, suspended, "never-opened-" + UUID.randomUUID());
        ExecutorService callers = Executors.newFixedThreadPool(12);
        try {
            for (String estimate : List.of("0", "0.2", "0.3", "0.31", "4.3", "5")) {
                List<CompletableFuture<SpendHolds.Authorization>> together = new ArrayList<>();
                for (String user : users) {
                    together.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            return batcher.authorize(user, Credits.parse(estimate));
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    }, callers));
                }
                for (int i = 0; i < users.size(); i++) {
                    assertThat(together.get(i).join()).as(users.get(i) + " " + estimate)
                            .isEqualTo(oneByOne.authorize(users.get(i), Credits.parse(estimate)));
                }
            }
        } finally {
            callers.shutdown();
        }
        assertThat(batcher.authorize(capped, Credits.parse("0.31")).reason()).contains(LedgerRefusal.Reason.MONTHLY_CAP_REACHED);
        assertThat(batcher.authorize(suspended, Credits.parse("0.01")).reason()).contains(LedgerRefusal.Reason.ACCOUNT_SUSPENDED);
    }

    @Test
    void concurrentHoldsOnOneAccountNeverOvershoot() throws Exception {
        String user = funded("race", "1.00", null);
        ExecutorService callers = Executors.newFixedThreadPool(64);
        try {
            List<CompletableFuture<Object>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String requestId = "hold-" + i;
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return batcher.placeHold(user, requestId, Credits.parse("0.02"), TTL, "proxy");
                    } catch (LedgerRefusal refusal) {
                        return refusal;
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }, callers));
            }
            List<Object> outcomes = answers.stream().map(CompletableFuture::join).toList();
            assertThat(outcomes).filteredOn(SpendHolds.Hold.class::isInstance).hasSize(50);
            assertThat(outcomes).filteredOn(LedgerRefusal.class::isInstance).hasSize(150);
            assertThat(row(user)).startsWith("balance 1.000000000 held 1.000000000").contains("active holds 1.000000000");
        } finally {
            callers.shutdown();
        }
    }

    /**
     * Holds, voids and deducts (some retried with their key) from many threads on a few accounts, batched and one by
     * one at once: afterwards every account's balance is its ledger's sum, what it holds is its active holds, nothing
     * overdrew, and every answer given is in the database.
     */
    @Test
    void mixedConcurrentLoadOnBothPathsKeepsEveryAccountWhole() throws Exception {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            users.add(funded("mixed-" + i, "3.00", i == 0 ? "2.00" : null));
        }
        ExecutorService callers = Executors.newFixedThreadPool(16);
        List<CompletableFuture<List<Object>>> work = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            int thread = t;
            work.add(CompletableFuture.supplyAsync(() -> {
                Random random = new Random(thread);
                Spending spending = thread % 4 == 0 ? new OneTransactionPerRequest(holds, ledger) : batcher;
                List<Object> given = new ArrayList<>();
                for (int n = 0; n < 30; n++) {
                    String user = users.get(random.nextInt(users.size()));
                    Credits amount = Credits.ofNanos(1_000_000L * (1 + random.nextInt(90)));
                    try {
                        int kind = random.nextInt(10);
                        if (kind < 5) {
                            SpendHolds.Hold hold = spending.placeHold(user, "t" + thread + "-" + n, amount, TTL, "proxy");
                            given.add(hold);
                            if (random.nextBoolean()) {
                                given.add(hold.id() + "=" + spending.voidHold(hold.id(), user));
                            }
                        } else {
                            // two requests in a row share a key and an amount: the second is a retry
                            String key = "k" + thread + "-" + (n / 2);
                            Credits retried = Credits.ofNanos(1_000_000L * (1 + (thread * 31 + n / 2) % 90));
                            given.add(spending.deduct(users.get((thread + n / 2) % users.size()), retried, "mixed", UsageDetails.none(),
                                    Optional.of(key)));
                        }
                    } catch (LedgerRefusal refusal) {
                        given.add(refusal);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return given;
            }, callers));
        }
        List<Object> given = work.stream().flatMap(future -> future.join().stream()).toList();
        callers.shutdown();

        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String user : users) {
                assertThat(row(user)).doesNotContain("balance -");
                try (ResultSet r = s.executeQuery("""
                        SELECT u.balance = (SELECT sum(amount) FROM credit_transactions t WHERE t.user_id = u.user_id),
                               u.held = (SELECT coalesce(sum(amount), 0) FROM credit_holds h WHERE h.user_id = u.user_id AND h.status = 'active'),
                               u.balance - u.held >= 0
                          FROM user_credits u WHERE u.user_id = '%s'""".formatted(user))) {
                    r.next();
                    assertThat(List.of(r.getBoolean(1), r.getBoolean(2), r.getBoolean(3))).as(row(user)).containsOnly(true);
                }
            }
            for (Object answer : given) {
                if (answer instanceof SpendHolds.Hold hold) {
                    try (ResultSet r = s.executeQuery("SELECT amount FROM credit_holds WHERE id = '" + hold.id() + "'")) {
                        assertThat(r.next()).as("hold %s answered, stored", hold.id()).isTrue();
                        assertThat(Credits.ofExact(r.getBigDecimal(1))).isEqualTo(hold.amount());
                    }
                } else if (answer instanceof LedgerReceipt receipt) {
                    try (ResultSet r = s.executeQuery("SELECT amount FROM credit_transactions WHERE id = '" + receipt.transactionId() + "'")) {
                        assertThat(r.next()).as("deduct %s answered, stored", receipt.transactionId()).isTrue();
                        assertThat(Credits.ofExact(r.getBigDecimal(1))).isEqualTo(receipt.amount());
                    }
                }
            }
        }
        assertThat(given).anyMatch(LedgerRefusal.class::isInstance).anyMatch(LedgerReceipt.class::isInstance)
                .anyMatch(answer -> answer instanceof LedgerReceipt receipt && receipt.replayed());
    }

    /**
     * A deduct PostgreSQL refuses (a reason longer than the ledger's column allows, which the endpoint would have
     * refused first) arrives with others: their batch is undone and applied again one by one, so it fails alone.
     */
    @Test
    void aRequestPostgresqlRefusesFailsAloneAndTheRestOfItsBatchIsApplied() throws Exception {
        String blocker = funded("blocker", "1", null);
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            users.add(funded("neighbour-" + i, "1", null));
        }
        ExecutorService callers = Executors.newFixedThreadPool(12);
        try (Connection lock = dataSource.getConnection()) {
            lock.setAutoCommit(false);
            try (Statement s = lock.createStatement()) {
                s.execute("SELECT 1 FROM user_credits WHERE user_id = '" + blocker + "' FOR UPDATE");
            }
            // the worker's batch waits on the lock while the next batch collects everything below
            CompletableFuture<Object> first = CompletableFuture.supplyAsync(() -> call(() -> batcher.deduct(blocker, Credits.parse("0.1"),
                    "first", UsageDetails.none(), Optional.empty())), callers);
            await().atMost(Duration.ofSeconds(10)).until(() -> lockWaiters() == 1);
            List<CompletableFuture<Object>> good = new ArrayList<>();
            for (String user : users) {
                good.add(CompletableFuture.supplyAsync(() -> call(() -> batcher.deduct(user, Credits.parse("0.25"), "fine", UsageDetails.none(),
                        Optional.empty())), callers));
            }
            CompletableFuture<Object> bad = CompletableFuture.supplyAsync(() -> call(() -> batcher.deduct(users.get(0), Credits.parse("0.25"),
                    "x".repeat(1_001), UsageDetails.none(), Optional.empty())), callers);
            await().atMost(Duration.ofSeconds(10)).until(() -> batcher.waiting() == 11);
            lock.rollback();

            assertThat(first.join()).isInstanceOf(LedgerReceipt.class);
            assertThat(good).allSatisfy(answer -> assertThat(answer.join()).isInstanceOf(LedgerReceipt.class));
            assertThat(bad.join()).isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("23514"));
        } finally {
            callers.shutdown();
        }
        for (String user : users) {
            assertThat(row(user)).startsWith("balance 0.750000000");
        }
    }

    private interface Call {
        Object run() throws SQLException;
    }

    private static Object call(Call call) {
        try {
            return call.run();
        } catch (SQLException | LedgerRefusal e) {
            return e;
        }
    }

    private static long lockWaiters() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void aShutDownBatcherRefusesNewRequests() throws SQLException {
        SpendBatcher closing = new SpendBatcher(spendPool, cacheRetries, 10, new SimpleMeterRegistry());
        String user = funded("closing", "1", null);
        assertThat(closing.deduct(user, Credits.parse("0.1"), "before", UsageDetails.none(), Optional.empty()).newBalance())
                .isEqualTo(Credits.parse("0.9"));
        closing.close();
        assertThatThrownBy(() -> closing.deduct(user, Credits.parse("0.1"), "after", UsageDetails.none(), Optional.empty()))
                .isInstanceOf(SQLException.class).hasMessageContaining("shutting down");
    }

    /**
     * Under a generic plan made while the tables look empty (what the driver's server-side statements keep after five
     * runs on a new database) every read of a batch finds its rows by key on any connection, and the write does on the
     * batches' own connections. BatchApplierTest tells what a plan that reads a table whole cost.
     */
    @Test
    void theBatchStatementsFindRowsByKeyUnderEveryPlan() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            try {
                s.execute("SET plan_cache_mode = force_generic_plan");
                for (String sql : List.of(SpendBatchStatements.LOCK_ACCOUNTS, SpendBatchStatements.READ_ACCOUNTS, SpendBatchStatements.HOLDS,
                        SpendBatchStatements.EARLIER_DEDUCTS)) {
                    assertThat(plan(s, sql)).as(sql).noneMatch(SpendBatcherTest::readsATableWhole);
                }
                s.execute(SpendBatcher.KEY_LOOKUPS_ONLY);
                assertThat(plan(s, SpendBatchStatements.WRITE)).noneMatch(SpendBatcherTest::readsATableWhole);
            } finally {
                s.execute("RESET ALL");
            }
        }
    }

    private static boolean readsATableWhole(String planLine) {
        return planLine.contains("Seq Scan on user_credits") || planLine.contains("Seq Scan on credit_") || planLine.contains("Hash Join")
                || planLine.contains("= ANY");
    }

    /** The generic plan of {@code sql}. */
    private static List<String> plan(Statement s, String sql) throws SQLException {
        StringBuilder numbered = new StringBuilder();
        int parameters = 0;
        for (char ch : sql.toCharArray()) {
            numbered.append(ch == '?' ? "$" + ++parameters : String.valueOf(ch));
        }
        s.execute("PREPARE batch_statement AS " + numbered);
        List<String> plan = new ArrayList<>();
        try (ResultSet line = s.executeQuery("EXPLAIN EXECUTE batch_statement(" + String.join(", ",
                java.util.Collections.nCopies(parameters, "NULL")) + ")")) {
            while (line.next()) {
                plan.add(line.getString(1));
            }
        } finally {
            s.execute("DEALLOCATE batch_statement");
        }
        return plan;
    }
}
