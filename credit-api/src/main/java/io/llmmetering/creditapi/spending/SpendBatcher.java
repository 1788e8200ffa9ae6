package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.accounts.LedgerReceipt;
import io.llmmetering.creditapi.accounts.SpendableAccount;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceCacheRetries;
import io.llmmetering.creditapi.holds.SpendHolds;
import io.llmmetering.creditapi.jdbc.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Holds, voids and deducts applied in batches, the way TigerBeetle shares a commit: while one batch is in
 * PostgreSQL the next collects, and each batch is one transaction of four statements at most (lock the accounts,
 * read the holds and deduct keys it names, write everything, commit) however many requests it carries. Nothing
 * waits for a batch to fill: an idle worker takes the first request that arrives at once.
 *
 * <p>Each request gets the answer it would get in a transaction of its own ({@link SpendBatch} judges them in
 * arrival order under the account locks). A batch PostgreSQL refuses is undone whole, and its requests are then
 * applied one by one, so a request that cannot be written fails alone. Processes batch their own requests; the
 * account row locks order batches of different processes, so holds on one account never overshoot across them.
 * Authorization checks are batched the same way on a worker of their own: one read by key, no locks.
 */
public final class SpendBatcher implements Spending, AutoCloseable {

    /** The connection setup of the pool a batcher runs on: batches touch rows by key only (SpendBatchStatements). */
    public static final String KEY_LOOKUPS_ONLY = SpendBatchStatements.KEY_LOOKUPS_ONLY;

    private final DataSource dataSource;
    private final BalanceCacheRetries cache;
    private final RequestBatches<SpendRequest> writes;
    private final RequestBatches<String> reads;
    private final Counter holdsPlaced;
    private final Counter holdsRefused;
    private final Counter holdsVoided;
    private final MeterRegistry registry;

    /** @param dataSource connections set up with {@link #KEY_LOOKUPS_ONLY}, for batches only */
    public SpendBatcher(DataSource dataSource, BalanceCacheRetries cache, int batchSizeMax, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.cache = cache;
        this.registry = registry;
        this.holdsPlaced = Counter.builder("credit.holds").tag("outcome", "placed").register(registry);
        this.holdsRefused = Counter.builder("credit.holds").tag("outcome", "refused").register(registry);
        this.holdsVoided = Counter.builder("credit.holds").tag("outcome", "voided").register(registry);
        this.writes = new RequestBatches<>("credit.spend", batchSizeMax, this::transact, registry);
        this.reads = new RequestBatches<>("credit.spend.reads", batchSizeMax, this::readAccounts, registry);
    }

    @Override
    public SpendHolds.Hold placeHold(String userId, String requestId, Credits estimate, Duration ttl, String actor) throws SQLException {
        if (!estimate.isPositive()) {
            throw new IllegalArgumentException("a hold's estimate must be positive");
        }
        return (SpendHolds.Hold) writes.submit(new SpendRequest.PlaceHold(userId, requestId, estimate, ttl, actor));
    }

    @Override
    public String voidHold(UUID holdId, String userId) throws SQLException {
        return (String) writes.submit(new SpendRequest.VoidHold(holdId, userId));
    }

    @Override
    public LedgerReceipt deduct(String userId, Credits amount, String reason, UsageDetails usage, Optional<String> idempotencyKey)
            throws SQLException {
        if (!amount.isPositive()) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
        return (LedgerReceipt) writes.submit(new SpendRequest.Deduct(userId, amount, reason, usage, idempotencyKey));
    }

    /**
     * The authorization check, a read: the checks that arrive together share one query (by key, without locks), on a
     * worker of their own, so they never wait behind a write batch's commit.
     */
    @Override
    public SpendHolds.Authorization authorize(String userId, Credits estimate) throws SQLException {
        SpendableAccount account = (SpendableAccount) reads.submit(userId);
        Optional<LedgerRefusal.Reason> reason = account.refusal(estimate);
        return new SpendHolds.Authorization(reason.isEmpty(), account.available(), reason);
    }

    private List<Object> readAccounts(List<String> userIds) throws SQLException {
        Map<String, SpendableAccount> accounts = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement read = connection.prepareStatement(SpendBatchStatements.READ_ACCOUNTS)) {
            read.setArray(1, connection.createArrayOf("text", userIds.toArray()));
            try (ResultSet row = read.executeQuery()) {
                while (row.next()) {
                    accounts.put(row.getString(1), SpendableAccount.read(row, 2));
                }
            }
        }
        return userIds.stream().<Object>map(userId -> accounts.getOrDefault(userId, SpendableAccount.NONE)).toList();
    }

    /** Requests waiting for the next batch. */
    int waiting() {
        return writes.waiting();
    }

    /** One batch in one transaction: its answers, in order, or the exception that undid it. */
    List<Object> transact(List<SpendRequest> requests) throws SQLException {
        Committed committed = Transactions.inTransaction(dataSource, connection -> {
            SpendBatch.Decisions decisions = SpendBatch.decide(requests, SpendBatchRows.read(connection, requests), TimeOrderedIds::next);
            // refusals and replays only: nothing to write, and the commit only releases the locks
            return new Committed(decisions, decisions.writesNothing() ? Map.of() : SpendBatchRows.write(connection, decisions));
        });
        return answered(requests, committed.decisions(), committed.expiries());
    }

    /** What a batch's transaction decided and wrote: the new holds' expiry as PostgreSQL set it. */
    private record Committed(SpendBatch.Decisions decisions, Map<UUID, Instant> expiries) {
    }

    /** The answers, with the new holds' expiry filled in, counted; the balances deducts changed go to the cache. */
    private List<Object> answered(List<SpendRequest> requests, SpendBatch.Decisions decisions, Map<UUID, Instant> expiries) {
        List<Object> answers = new ArrayList<>(decisions.answers().size());
        for (Object answer : decisions.answers()) {
            if (answer instanceof SpendHolds.Hold hold && hold.expiresAt() == null) {
                answer = new SpendHolds.Hold(hold.id(), hold.userId(), hold.requestId(), hold.amount(), hold.status(),
                        expiries.get(hold.id()), hold.available(), hold.replayed());
            }
            answers.add(answer);
        }
        count(requests, decisions);
        Map<String, BalanceCache.Versioned> balances = new HashMap<>();
        for (SpendBatch.AccountChange change : decisions.accounts()) {
            if (change.versions() > 0) {
                balances.put(change.userId(), new BalanceCache.Versioned(change.after().balance(), change.after().balanceVersion()));
            }
        }
        // before the answers, as one transaction per request does: a balance read after a deduct's answer shows it
        cache.putAll(balances);
        return answers;
    }

    /** The counters the one-transaction path keeps too: holds by outcome, deductions by outcome. */
    private void count(List<SpendRequest> requests, SpendBatch.Decisions decisions) {
        holdsPlaced.increment(decisions.holds().size());
        holdsVoided.increment(decisions.voided().size());
        if (!decisions.deducts().isEmpty()) {
            deductions("booked").increment(decisions.deducts().size());
        }
        for (int i = 0; i < requests.size(); i++) {
            Object answer = decisions.answers().get(i);
            if (requests.get(i) instanceof SpendRequest.Deduct) {
                if (answer instanceof LedgerRefusal) {
                    deductions("refused").increment();
                } else if (((LedgerReceipt) answer).replayed()) {
                    deductions("replayed").increment();
                }
            } else if (answer instanceof LedgerRefusal refusal && refusal.reason() != LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED) {
                holdsRefused.increment();
            }
        }
    }

    private Counter deductions(String outcome) {
        return registry.counter("credit.ledger.operations", "type", "deduction", "outcome", outcome);
    }

    @Override
    public void close() {
        writes.close();
        reads.close();
    }
}
