package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.accounts.Receipt;
import io.llmmetering.creditapi.accounts.SpendableAccount;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceCacheRetries;
import io.llmmetering.creditapi.holds.SpendHolds;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.math.BigDecimal;
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
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

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
 */
public final class SpendBatcher implements Spending, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SpendBatcher.class);
    private static final Pending STOP = new Pending(null, null);

    private final DataSource dataSource;
    private final BalanceCacheRetries cache;
    private final int batchSizeMax;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final DistributionSummary batchSizes;
    private final Counter holdsPlaced;
    private final Counter holdsRefused;
    private final Counter holdsVoided;
    private final MeterRegistry registry;
    private volatile boolean closed;

    private record Pending(SpendRequest request, CompletableFuture<Object> answer) {
    }

    public SpendBatcher(DataSource dataSource, BalanceCacheRetries cache, int batchSizeMax, MeterRegistry registry) {
        if (batchSizeMax < 1) {
            throw new IllegalArgumentException("batchSizeMax must be at least 1, was " + batchSizeMax);
        }
        this.dataSource = dataSource;
        this.cache = cache;
        this.batchSizeMax = batchSizeMax;
        this.registry = registry;
        this.batchSizes = DistributionSummary.builder("credit.spend.batch.size").description("holds, voids and deducts per transaction")
                .register(registry);
        this.holdsPlaced = Counter.builder("credit.holds").tag("outcome", "placed").register(registry);
        this.holdsRefused = Counter.builder("credit.holds").tag("outcome", "refused").register(registry);
        this.holdsVoided = Counter.builder("credit.holds").tag("outcome", "voided").register(registry);
        Gauge.builder("credit.spend.waiting", queue, BlockingQueue::size).description("holds, voids and deducts waiting for the next batch")
                .register(registry);
        this.worker = new Thread(this::run, "credit-api-spend-batches");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    @Override
    public SpendHolds.Hold placeHold(String userId, String requestId, Credits estimate, Duration ttl, String actor) throws SQLException {
        if (!estimate.isPositive()) {
            throw new IllegalArgumentException("a hold's estimate must be positive");
        }
        return (SpendHolds.Hold) submit(new SpendRequest.PlaceHold(userId, requestId, estimate, ttl, actor));
    }

    @Override
    public String voidHold(UUID holdId, String userId) throws SQLException {
        return (String) submit(new SpendRequest.VoidHold(holdId, userId));
    }

    @Override
    public Receipt deduct(String userId, Credits amount, String reason, UsageDetails usage, Optional<String> idempotencyKey)
            throws SQLException {
        if (!amount.isPositive()) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
        return (Receipt) submit(new SpendRequest.Deduct(userId, amount, reason, usage, idempotencyKey));
    }

    private Object submit(SpendRequest request) throws SQLException {
        if (closed) {
            throw new SQLException("credit-api is shutting down: the request was not applied", "57P01");
        }
        CompletableFuture<Object> answer = new CompletableFuture<>();
        queue.add(new Pending(request, answer));
        try {
            Object outcome = answer.get();
            if (outcome instanceof LedgerRefusal refusal) {
                throw refusal;
            }
            return outcome;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while its batch was applied: the request may have been applied", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping || !queue.isEmpty()) {
            try {
                batch.add(stopping ? queue.remove() : queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queue.drainTo(batch, batchSizeMax - 1);
            stopping |= batch.remove(STOP);
            if (!batch.isEmpty()) {
                apply(batch);
            }
            batch.clear();
        }
    }

    /** Applies a batch, or when PostgreSQL refuses it, each of its requests alone. Completes every request's answer. */
    private void apply(List<Pending> batch) {
        try {
            List<Object> answers = transact(batch.stream().map(Pending::request).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).answer().complete(answers.get(i));
            }
        } catch (SQLException | RuntimeException e) {
            if (batch.size() == 1) {
                batch.get(0).answer().completeExceptionally(e);
                return;
            }
            log.warn("spend batch refused, applying its requests one by one: requests={} sqlstate={} error={}", batch.size(),
                    e instanceof SQLException sql ? sql.getSQLState() : "", e.toString());
            for (Pending pending : batch) {
                apply(List.of(pending));
            }
        }
    }

    /** Requests waiting for the next batch. */
    int waiting() {
        return queue.size();
    }

    /** One batch in one transaction: its answers, in order, or the exception that undid it. */
    List<Object> transact(List<SpendRequest> requests) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                SpendBatch.Decisions decisions = SpendBatch.decide(requests, read(connection, requests), UUID::randomUUID);
                Map<UUID, Instant> expiries = Map.of();
                if (decisions.writesNothing()) {
                    connection.rollback(); // refusals and replays only: nothing to write
                } else {
                    expiries = write(connection, decisions);
                    connection.commit();
                }
                batchSizes.record(requests.size());
                return answered(requests, decisions, expiries);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private SpendBatch.Stored read(Connection connection, List<SpendRequest> requests) throws SQLException {
        TreeSet<String> users = new TreeSet<>();
        List<UUID> holdIds = new ArrayList<>();
        List<String> holdUsers = new ArrayList<>();
        List<String> holdRequests = new ArrayList<>();
        List<String> keyUsers = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (SpendRequest request : requests) {
            users.add(request.userId());
            if (request instanceof SpendRequest.PlaceHold hold) {
                holdUsers.add(hold.userId());
                holdRequests.add(hold.requestId());
            } else if (request instanceof SpendRequest.VoidHold release) {
                holdIds.add(release.holdId());
            } else if (request instanceof SpendRequest.Deduct deduct && deduct.idempotencyKey().isPresent()) {
                keyUsers.add(deduct.userId());
                keys.add(deduct.idempotencyKey().get());
            }
        }
        Map<String, SpendableAccount> accounts = new HashMap<>();
        try (PreparedStatement lock = connection.prepareStatement(SpendBatchStatements.LOCK_ACCOUNTS)) {
            lock.setArray(1, connection.createArrayOf("text", users.toArray()));
            try (ResultSet row = lock.executeQuery()) {
                while (row.next()) {
                    accounts.put(row.getString(1), SpendableAccount.read(row, 2));
                }
            }
        }
        List<SpendBatch.StoredHold> holds = new ArrayList<>();
        if (!holdIds.isEmpty() || !holdUsers.isEmpty()) {
            try (PreparedStatement read = connection.prepareStatement(SpendBatchStatements.HOLDS)) {
                read.setArray(1, connection.createArrayOf("uuid", holdIds.toArray()));
                read.setArray(2, connection.createArrayOf("text", holdUsers.toArray()));
                read.setArray(3, connection.createArrayOf("text", holdRequests.toArray()));
                try (ResultSet row = read.executeQuery()) {
                    while (row.next()) {
                        holds.add(new SpendBatch.StoredHold(row.getObject(1, UUID.class), row.getString(2), row.getString(3),
                                Credits.ofExact(row.getBigDecimal(4)), row.getString(5), row.getTimestamp(6).toInstant()));
                    }
                }
            }
        }
        Map<SpendBatch.DeductKey, SpendBatch.EarlierDeduct> deducts = new HashMap<>();
        if (!keys.isEmpty()) {
            try (PreparedStatement read = connection.prepareStatement(SpendBatchStatements.EARLIER_DEDUCTS)) {
                read.setArray(1, connection.createArrayOf("text", keyUsers.toArray()));
                read.setArray(2, connection.createArrayOf("text", keys.toArray()));
                try (ResultSet row = read.executeQuery()) {
                    while (row.next()) {
                        deducts.put(new SpendBatch.DeductKey(row.getString(1), row.getString(2)), new SpendBatch.EarlierDeduct(
                                row.getObject(3, UUID.class), Credits.ofExact(row.getBigDecimal(4)), Credits.ofExact(row.getBigDecimal(5))));
                    }
                }
            }
        }
        return new SpendBatch.Stored(accounts, holds, deducts);
    }

    /**
     * Writes the decisions and checks what PostgreSQL wrote against them, TigerBeetle's pair assertion: every changed
     * account as judged, every hold placed, every void applied, and the ledger rows summing to the batch's charges.
     * A difference throws, and the transaction is undone. Returns the new holds' expiry.
     */
    private static Map<UUID, Instant> write(Connection connection, SpendBatch.Decisions decisions) throws SQLException {
        List<SpendBatch.AccountChange> accounts = decisions.accounts();
        List<SpendBatch.NewHold> holds = decisions.holds();
        List<SpendBatch.NewDeduct> deducts = decisions.deducts();
        Credits charged = Credits.ZERO;
        for (SpendBatch.AccountChange change : accounts) {
            charged = charged.plus(change.spent());
        }
        try (PreparedStatement write = connection.prepareStatement(SpendBatchStatements.WRITE)) {
            write.unwrap(PGStatement.class).setPrepareThreshold(0); // planned with each batch's arrays: SpendBatchStatements.WRITE
            int p = 1;
            write.setArray(p++, connection.createArrayOf("text", accounts.stream().map(SpendBatch.AccountChange::userId).toArray()));
            write.setArray(p++, connection.createArrayOf("numeric", accounts.stream().map(c -> c.heldChange().toBigDecimal()).toArray()));
            write.setArray(p++, connection.createArrayOf("numeric", accounts.stream().map(c -> c.spent().toBigDecimal()).toArray()));
            write.setArray(p++, connection.createArrayOf("int4", accounts.stream().map(SpendBatch.AccountChange::versions).toArray()));
            write.setArray(p++, connection.createArrayOf("uuid", holds.stream().map(SpendBatch.NewHold::id).toArray()));
            write.setArray(p++, connection.createArrayOf("text", holds.stream().map(SpendBatch.NewHold::userId).toArray()));
            write.setArray(p++, connection.createArrayOf("text", holds.stream().map(SpendBatch.NewHold::requestId).toArray()));
            write.setArray(p++, connection.createArrayOf("numeric", holds.stream().map(h -> h.amount().toBigDecimal()).toArray()));
            write.setArray(p++, connection.createArrayOf("text", holds.stream().map(SpendBatch.NewHold::actor).toArray()));
            write.setArray(p++, connection.createArrayOf("float8", holds.stream().map(h -> h.ttl().toMillis() / 1000.0).toArray()));
            write.setArray(p++, connection.createArrayOf("uuid", decisions.voided().toArray()));
            write.setArray(p++, connection.createArrayOf("uuid", deducts.stream().map(SpendBatch.NewDeduct::id).toArray()));
            write.setArray(p++, connection.createArrayOf("text", deducts.stream().map(SpendBatch.NewDeduct::userId).toArray()));
            write.setArray(p++, connection.createArrayOf("numeric", deducts.stream().map(d -> d.amount().toBigDecimal()).toArray()));
            write.setArray(p++, connection.createArrayOf("numeric", deducts.stream().map(d -> d.balanceAfter().toBigDecimal()).toArray()));
            write.setArray(p++, connection.createArrayOf("text", deducts.stream().map(SpendBatch.NewDeduct::reason).toArray()));
            write.setArray(p++, connection.createArrayOf("text", deducts.stream().map(d -> d.usage().provider().orElse(null)).toArray()));
            write.setArray(p++, connection.createArrayOf("text", deducts.stream().map(d -> d.usage().model().orElse(null)).toArray()));
            write.setArray(p++, connection.createArrayOf("int8", deducts.stream()
                    .map(d -> d.usage().tokensUsed().isPresent() ? d.usage().tokensUsed().getAsLong() : null).toArray()));
            write.setArray(p++, connection.createArrayOf("text", deducts.stream().map(d -> d.usage().powerLevel().orElse(null)).toArray()));
            write.setArray(p++, connection.createArrayOf("text", deducts.stream().map(d -> d.idempotencyKey().orElse(null)).toArray()));
            write.setArray(p, connection.createArrayOf("text", deducts.stream().map(d -> d.usage().metadataJson()).toArray()));
            Map<String, SpendBatch.AccountChange> expected = new HashMap<>();
            accounts.forEach(change -> expected.put(change.userId(), change));
            Map<UUID, Instant> expiries = new HashMap<>();
            try (ResultSet row = write.executeQuery()) {
                while (row.next()) {
                    switch (row.getString(1)) {
                        case "account" -> {
                            SpendBatch.AccountChange change = expected.remove(row.getString(2));
                            SpendableAccount after = change == null ? null : change.after();
                            require(after != null && after.balance().equals(Credits.ofExact(row.getBigDecimal(5)))
                                    && after.held().equals(Credits.ofExact(row.getBigDecimal(6))) && after.balanceVersion() == row.getLong(7),
                                    "account " + row.getString(2) + " was written other than judged");
                        }
                        case "hold" -> expiries.put(row.getObject(3, UUID.class), row.getTimestamp(4).toInstant());
                        default -> {
                            require(row.getLong(5) == decisions.voided().size(), "voided " + row.getLong(5) + " holds, not "
                                    + decisions.voided().size());
                            BigDecimal written = row.getBigDecimal(6);
                            require(Credits.ofExact(written).negate().equals(charged), "the ledger rows add up to " + written
                                    + ", the batch charged " + charged);
                        }
                    }
                }
            }
            require(expected.isEmpty(), "accounts not written: " + expected.keySet());
            require(expiries.size() == holds.size(), expiries.size() + " holds written, not " + holds.size());
            return expiries;
        }
    }

    private static void require(boolean holds, String otherwise) {
        if (!holds) {
            throw new IllegalStateException("spend batch: " + otherwise);
        }
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
                } else if (((Receipt) answer).replayed()) {
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
        closed = true;
        queue.add(STOP);
        try {
            worker.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
