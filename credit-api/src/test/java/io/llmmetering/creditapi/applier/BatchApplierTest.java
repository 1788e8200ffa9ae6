package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class BatchApplierTest {

    private static DataSource dataSource;
    private static final long T0 = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();

    @BeforeAll
    static void migrate(TestDatabase database) {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        dataSource = database.dataSource();
    }

    static LedgerDebit debit(String eventId, String user, long nanos, long occurredAt) {
        return new LedgerDebit(eventId, user, nanos, "gpt-4o", "openai", 1000, 100, 0, "balanced", "free",
                occurredAt, occurredAt + 5, "2025-11-01", "test");
    }

    /**
     * The driver prepares statements on the server after five uses, and PostgreSQL may then keep a generic plan
     * made while the accounts table was tiny. A lock by {@code user_id = ANY($1)} got a plan that tested the
     * array element by element on every row: 6 s a batch at 100,000 accounts. The charge finds each account by
     * its primary key (the upsert's conflict check), under every plan.
     */
    @Test
    void theChargeFindsEachAccountByItsKeyUnderEveryPlan() throws SQLException {
        StringBuilder sql = new StringBuilder();
        int parameter = 0;
        for (char ch : LedgerStatements.CHARGE_ACCOUNTS_AND_WRITE_LEDGER.toCharArray()) {
            sql.append(ch == '?' ? "$" + ++parameter : String.valueOf(ch));
        }
        assertThat(parameter).isEqualTo(6);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("PREPARE charge(text[], bigint[], int[], jsonb, text, bigint[]) AS " + sql);
            for (String mode : List.of("force_generic_plan", "force_custom_plan")) {
                s.execute("SET plan_cache_mode = " + mode);
                List<String> plan = new ArrayList<>();
                try (ResultSet line = s.executeQuery("EXPLAIN EXECUTE charge('{a,b,c}', '{1,2,3}', '{1,1,1}', '{}', 'g', '{}')")) {
                    while (line.next()) {
                        plan.add(line.getString(1));
                    }
                }
                assertThat(plan).as(mode).anyMatch(line -> line.contains("Conflict Arbiter Indexes: user_credits_pkey"))
                        .noneMatch(line -> line.contains("user_id = ANY") || line.contains("Seq Scan on user_credits"));
            }
            s.execute("DEALLOCATE charge");
            s.execute("RESET plan_cache_mode");
        }
    }

    @Test
    void debitsAcrossUsersAndBatchesKeepEveryInvariantToTheNanoCredit() throws SQLException {
        BatchApplier applier = new BatchApplier(dataSource, "invariants");
        Random random = new Random(3);
        List<LedgerDebit> debits = new ArrayList<>();
        Map<String, Long> expected = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            String user = "inv-" + random.nextInt(50) + "@example.com";
            long nanos = 1 + random.nextInt(50_000_000);
            debits.add(debit("inv-evt-" + i, user, nanos, T0 + i));
            expected.merge(user, nanos, Long::sum);
        }
        for (int from = 0; from < debits.size(); from += 300) {
            int to = Math.min(from + 300, debits.size());
            AppliedBatch batch = applier.apply(debits.subList(from, to), List.of(new PartitionOffset("credit.debits", 0, to)));
            assertThat(batch.applied()).isEqualTo(to - from);
        }

        for (Map.Entry<String, Long> user : expected.entrySet()) {
            assertThat(balance(user.getKey())).isEqualTo(Credits.ofNanos(-user.getValue()));
            assertThat(sumOfTransactions(user.getKey())).isEqualTo(balance(user.getKey()));
            assertThat(sumOfUsageEvents(user.getKey())).isEqualTo(Credits.ofNanos(user.getValue()));
        }
        assertThat(count("SELECT count(*) FROM usage_events WHERE event_id LIKE 'inv-evt-%'")).isEqualTo(2_000);
        assertThat(count("SELECT sum(event_count) FROM credit_transactions WHERE user_id LIKE 'inv-%'")).isEqualTo(2_000);
        assertThat(applier.storedOffsets("credit.debits")).containsEntry(0, 2_000L);
    }

    @Test
    void aReplayedBatchChargesNothingTwice() throws SQLException {
        BatchApplier applier = new BatchApplier(dataSource, "replay");
        List<LedgerDebit> batch = List.of(debit("rp-1", "replay@example.com", 1_500_000, T0), debit("rp-2", "replay@example.com", 2_500_000, T0 + 1));
        applier.apply(batch, List.of(new PartitionOffset("credit.debits", 1, 2)));

        AppliedBatch replay = applier.apply(batch, List.of(new PartitionOffset("credit.debits", 1, 2)));

        assertThat(replay.applied()).isZero();
        assertThat(replay.alreadyRecorded()).isEqualTo(2);
        assertThat(replay.changes()).isEmpty();
        assertThat(balance("replay@example.com")).isEqualTo(Credits.parse("-0.004"));
        assertThat(count("SELECT count(*) FROM credit_transactions WHERE user_id = 'replay@example.com'")).isEqualTo(1);
    }

    @Test
    void aBatchMixingRecordedAndNewEventsChargesOnlyTheNewOnes() throws SQLException {
        BatchApplier applier = new BatchApplier(dataSource, "mixed");
        LedgerDebit old = debit("mix-old", "mixed@example.com", 1_000, T0);
        applier.apply(List.of(old), List.of(new PartitionOffset("credit.debits", 3, 1)));

        AppliedBatch mixed = applier.apply(List.of(debit("mix-new-1", "mixed@example.com", 20, T0 + 1), old,
                debit("mix-new-2", "mixed-other@example.com", 300, T0 + 2)), List.of(new PartitionOffset("credit.debits", 3, 4)));

        assertThat(mixed.applied()).isEqualTo(2);
        assertThat(mixed.alreadyRecorded()).isEqualTo(1);
        assertThat(mixed.charges().charged()).extracting(LedgerDebit::eventId).containsExactly("mix-new-1", "mix-new-2");
        assertThat(balance("mixed@example.com")).isEqualTo(Credits.ofNanos(-1_020));
        assertThat(balance("mixed-other@example.com")).isEqualTo(Credits.ofNanos(-300));
        assertThat(applier.storedOffsets("credit.debits")).containsEntry(3, 4L);
        assertThat(count("SELECT count(*) FROM usage_rollup_changes")).isPositive();
    }

    /**
     * Two copies of one event id stamped two days apart (ingest stamps the arrival time when a proxy sends none),
     * both older than the topology's dedupe horizon when they arrive: unique on (occurred_at, event_id) alone, the
     * ledger charged both.
     */
    @Test
    @Tag("reliability")
    void anEventIdIsChargedOncePerUserWhateverTimeItsCopiesCarry() throws SQLException {
        BatchApplier applier = new BatchApplier(dataSource, "claims");
        long twoDays = 2 * 24 * 3_600_000L;
        applier.apply(List.of(debit("stamped-twice", "claims@example.com", 4_000, T0)), List.of());

        AppliedBatch later = applier.apply(List.of(debit("stamped-twice", "claims@example.com", 4_000, T0 + twoDays),
                debit("stamped-twice", "claims-other@example.com", 9, T0 + twoDays)), List.of());
        AppliedBatch inOneBatch = applier.apply(List.of(debit("both-in-one", "claims@example.com", 5, T0),
                debit("both-in-one", "claims@example.com", 5, T0 + twoDays)), List.of());

        assertThat(later.applied()).isEqualTo(1); // the other user's event of the same id is another call
        assertThat(later.charges().charged()).extracting(LedgerDebit::userId).containsExactly("claims-other@example.com");
        assertThat(inOneBatch.applied()).isEqualTo(1);
        assertThat(balance("claims@example.com")).isEqualTo(Credits.ofNanos(-4_005));
        assertThat(sumOfTransactions("claims@example.com")).isEqualTo(balance("claims@example.com"));
        assertThat(count("SELECT count(*) FROM usage_events WHERE event_id = 'stamped-twice'")).isEqualTo(2);
    }

    @Test
    void theSameEventTwiceInOneBatchIsChargedOnce() throws SQLException {
        LedgerDebit once = debit("dup-in-batch", "dup@example.com", 7, T0);
        AppliedBatch batch = new BatchApplier(dataSource, "dup").apply(List.of(once, once), List.of());
        assertThat(batch.applied()).isEqualTo(1);
        assertThat(balance("dup@example.com")).isEqualTo(Credits.ofNanos(-7));
    }

    @Test
    void aFailureInsideTheTransactionLeavesNoTraceAndTheRetryAppliesOnce() throws SQLException {
        List<LedgerDebit> batch = List.of(debit("crash-1", "crash@example.com", 1_000_000_000, T0));
        BatchApplier crashing = new BatchApplier(dataSource, "crash", () -> {
            throw new IllegalStateException("simulated crash before commit");
        });

        assertThatThrownBy(() -> crashing.apply(batch, List.of(new PartitionOffset("credit.debits", 2, 1))))
                .hasMessageContaining("simulated crash");
        assertThat(count("SELECT count(*) FROM usage_events WHERE event_id = 'crash-1'")).isZero();
        assertThat(count("SELECT count(*) FROM user_credits WHERE user_id = 'crash@example.com'")).isZero();
        assertThat(crashing.storedOffsets("credit.debits")).isEmpty();

        BatchApplier healthy = new BatchApplier(dataSource, "crash");
        assertThat(healthy.apply(batch, List.of(new PartitionOffset("credit.debits", 2, 1))).applied()).isEqualTo(1);
        assertThat(balance("crash@example.com")).isEqualTo(Credits.ofWhole(-1));
        assertThat(healthy.storedOffsets("credit.debits")).containsEntry(2, 1L);
    }

    @Test
    void aBalanceAtOrBelowZeroBlocksSpendAndTheDebitIsStillApplied() throws SQLException {
        execute("INSERT INTO user_credits (user_id, balance) VALUES ('broke@example.com', 0.5)");
        AppliedBatch batch = new BatchApplier(dataSource, "broke").apply(List.of(debit("b-1", "broke@example.com", 800_000_000, T0)), List.of());
        BalanceChange change = batch.changes().get(0);
        assertThat(change.balanceAfter()).isEqualTo(Credits.parse("-0.3"));
        assertThat(change.spendBlockedReason()).isEqualTo("insufficient_credits");
        assertThat(change.crossedBelow(Credits.ZERO)).isTrue();
    }

    @Test
    void reachingTheMonthlyCapBlocksSpend() throws SQLException {
        execute("INSERT INTO user_credits (user_id, balance, monthly_cap) VALUES ('capped@example.com', 100, 2)");
        BatchApplier applier = new BatchApplier(dataSource, "cap");
        BalanceChange first = applier.apply(List.of(debit("cap-1", "capped@example.com", 1_500_000_000, T0)), List.of()).changes().get(0);
        assertThat(first.spendBlockedReason()).isNull();
        assertThat(first.capReachedNow()).isFalse();
        BalanceChange second = applier.apply(List.of(debit("cap-2", "capped@example.com", 600_000_000, T0 + 1)), List.of()).changes().get(0);
        assertThat(second.monthToDateAfter()).isEqualTo(Credits.parse("2.1"));
        assertThat(second.capReachedNow()).isTrue();
        assertThat(second.spendBlockedReason()).isEqualTo("monthly_cap_reached");
    }

    @Test
    void aZeroCostEventIsRecordedWithoutMovingTheBalanceWrongly() throws SQLException {
        AppliedBatch batch = new BatchApplier(dataSource, "zero").apply(List.of(debit("z-1", "zero@example.com", 0, T0)), List.of());
        assertThat(batch.applied()).isEqualTo(1);
        assertThat(balance("zero@example.com")).isEqualTo(Credits.ZERO);
        assertThat(sumOfTransactions("zero@example.com")).isEqualTo(Credits.ZERO);
    }

    @Test
    void twoAppliersChargingTheSameUsersConcurrentlyNeverDeadlock() throws Exception {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            users.add("conc-" + i + "@example.com");
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<Integer>> results = new ArrayList<>();
        for (int worker = 0; worker < 2; worker++) {
            int id = worker;
            BatchApplier applier = new BatchApplier(dataSource, "concurrent-" + worker);
            Callable<Integer> task = () -> {
                int applied = 0;
                for (int round = 0; round < 25; round++) {
                    List<String> order = new ArrayList<>(users);
                    Collections.shuffle(order, new Random(id * 1000L + round));
                    List<LedgerDebit> batch = new ArrayList<>();
                    for (String user : order) {
                        batch.add(debit("conc-" + id + "-" + round + "-" + user, user, 1_000, T0));
                    }
                    applied += applier.apply(batch, List.of()).applied();
                }
                return applied;
            };
            results.add(pool.submit(task));
        }
        int total = 0;
        for (Future<Integer> result : results) {
            total += result.get();
        }
        pool.shutdown();
        assertThat(total).isEqualTo(2 * 25 * 20);
        for (String user : users) {
            assertThat(balance(user)).isEqualTo(Credits.ofNanos(-50 * 1_000));
            assertThat(sumOfTransactions(user)).isEqualTo(balance(user));
        }
    }

    @Test
    void offsetsStoredForAnEarlierTopicOfTheSameNameAreIgnored() throws SQLException {
        BatchApplier applier = new BatchApplier(dataSource, "recreated");
        applier.apply(List.of(), List.of(new PartitionOffset("credit.debits", "old-topic-id", 0, 500)));
        assertThat(applier.storedOffsets("credit.debits", "old-topic-id")).containsEntry(0, 500L);
        assertThat(applier.storedOffsets("credit.debits", "new-topic-id")).isEmpty();
        assertThat(applier.storedOffsets("credit.debits")).containsEntry(0, 500L);
    }

    /** Each user's charge fits a long of nano-credits; the batch's total over users does not, and must not stall it. */
    @Test
    void aBatchWhoseTotalPassesALongOfNanoCreditsIsAppliedAndChecked() throws SQLException {
        BatchApplier applier = new BatchApplier(dataSource, "huge-total");
        long sixBillionCredits = 6_000_000_000L * Credits.NANOS_PER_CREDIT;
        // two models: the spend by model is summed per model, and a long of one model's spend is a bound of its own
        LedgerDebit other = new LedgerDebit("huge-2", "huge-b@example.com", sixBillionCredits, "claude-sonnet-4-5", "anthropic", 1000, 100, 0,
                "balanced", "free", T0 + 1, T0 + 6, "2025-11-01", "test");
        AppliedBatch batch = applier.apply(List.of(debit("huge-1", "huge-a@example.com", sixBillionCredits, T0), other), List.of());
        assertThat(batch.applied()).isEqualTo(2);
        for (String user : List.of("huge-a@example.com", "huge-b@example.com")) {
            assertThat(balance(user)).isEqualTo(Credits.ofNanos(-sixBillionCredits)).isEqualTo(sumOfTransactions(user));
        }
    }

    @Test
    void aNegativeDebitCannotBeConstructed() {
        assertThatThrownBy(() -> debit("neg", "n@example.com", -1, T0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Credits balance(String user) throws SQLException {
        return Credits.ofExact(decimal("SELECT balance FROM user_credits WHERE user_id = ?", user));
    }

    private static Credits sumOfTransactions(String user) throws SQLException {
        return Credits.ofExact(decimal("SELECT coalesce(sum(amount), 0) FROM credit_transactions WHERE user_id = ?", user));
    }

    private static Credits sumOfUsageEvents(String user) throws SQLException {
        return Credits.ofExact(decimal("SELECT coalesce(sum(cost), 0) FROM usage_events WHERE user_id = ?", user));
    }

    private static java.math.BigDecimal decimal(String sql, String user) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, user);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getBigDecimal(1);
            }
        }
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
