package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.jdbc.SqlFailures;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Applies a batch of debits to PostgreSQL in one transaction: the usage events, the per-user charges, one
 * ledger row per user, and the consumer offsets that say the batch is done. Either all of it commits or none,
 * so a crash anywhere replays the batch from the stored offsets, and the events' unique key makes the replay
 * charge nothing twice. Seven round trips per batch, whatever its size.
 */
public final class BatchApplier {

    private final DataSource dataSource;
    private final String consumerGroup;
    private final Runnable beforeCommit;

    public BatchApplier(DataSource dataSource, String consumerGroup) {
        this(dataSource, consumerGroup, () -> { });
    }

    /** {@code beforeCommit} runs inside the transaction just before it commits: tests make it fail. */
    BatchApplier(DataSource dataSource, String consumerGroup, Runnable beforeCommit) {
        this.dataSource = dataSource;
        this.consumerGroup = consumerGroup;
        this.beforeCommit = beforeCommit;
    }

    public AppliedBatch apply(List<LedgerDebit> debits, List<PartitionOffset> offsets) throws SQLException {
        return apply(debits, offsets, List.of());
    }

    /**
     * {@code confirmedCacheWrites}: the {@link AppliedBatch#cachePendingId()}s of earlier batches whose balances
     * have reached Redis since; their notes go with this batch's charge (when it has one).
     */
    public AppliedBatch apply(List<LedgerDebit> debits, List<PartitionOffset> offsets, List<Long> confirmedCacheWrites) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                AppliedBatch batch = apply(connection, debits, offsets, confirmedCacheWrites);
                beforeCommit.run();
                connection.commit();
                return batch;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private AppliedBatch apply(Connection connection, List<LedgerDebit> debits, List<PartitionOffset> offsets,
                               List<Long> confirmedCacheWrites) throws SQLException {
        List<BalanceChange> changes = List.of();
        long[] cachePendingId = {0};
        BatchCharges charges = debits.isEmpty() ? new BatchCharges() : recordEvents(connection, debits);
        if (!charges.isEmpty()) {
            markChangedHours(connection, charges);
            changes = chargeAccountsAndWriteLedger(connection, charges, confirmedCacheWrites, cachePendingId);
            settleHolds(connection, charges);
        }
        storeOffsets(connection, offsets);
        return new AppliedBatch(debits.size(), charges.events(), debits.size() - charges.events(), changes, charges, cachePendingId[0]);
    }

    /** A committed batch whose users' balances may not have reached Redis. */
    public record CachePending(long id, List<String> userIds) {
    }

    /** Every batch of this consumer group still noted as not confirmed in Redis, oldest first. */
    public List<CachePending> cachePending() throws SQLException {
        List<CachePending> pending = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LedgerStatements.CACHE_PENDING)) {
            statement.setString(1, consumerGroup);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    pending.add(new CachePending(rows.getLong(1), List.of((String[]) rows.getArray(2).getArray())));
                }
            }
        }
        return pending;
    }

    /** The current balances of {@code userIds}, as committed. */
    public Map<String, BalanceCache.Versioned> balancesOf(java.util.Collection<String> userIds) throws SQLException {
        Map<String, BalanceCache.Versioned> balances = new HashMap<>(userIds.size() * 2);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LedgerStatements.BALANCES_OF)) {
            statement.setArray(1, connection.createArrayOf("text", userIds.toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    balances.put(rows.getString(1), new BalanceCache.Versioned(Credits.ofExact(rows.getBigDecimal(2)), rows.getLong(3)));
                }
            }
        }
        return balances;
    }

    public void forgetCachePending(List<Long> ids) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LedgerStatements.FORGET_CACHE_PENDING)) {
            statement.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
            statement.executeUpdate();
        }
    }

    /**
     * Records the events; only those charged for the first time are charged. An event id is charged at most once
     * per user for as long as the ledger keeps it, whatever time the copy carries: the batch claims each
     * (user_id, event_id) in usage_event_claims before it records the events. Nearly always no debit was charged
     * before, and two binary COPYs write the claims and the events. When one was (a replay after a crash, a copy
     * older than the topology's dedupe horizon, maybe stamped with another time), a COPY fails on a unique key
     * before anything else of the transaction happened: it is rolled back, and the claims are inserted skipping
     * those held, then the events of the claims won.
     *
     * <p>A batch can hold the same event twice only when a copy older than the horizon meets its original here:
     * the second is dropped first, as the ledger would skip it.
     */
    private BatchCharges recordEvents(Connection connection, List<LedgerDebit> batch) throws SQLException {
        Map<ClaimKey, LedgerDebit> unique = new LinkedHashMap<>(batch.size() * 2);
        for (LedgerDebit debit : batch) {
            unique.putIfAbsent(new ClaimKey(debit.userId(), debit.eventId()), debit);
        }
        List<LedgerDebit> debits = new ArrayList<>(unique.values());
        BatchCharges charges = new BatchCharges();
        if (copied(connection, debits)) {
            debits.forEach(charges::add);
            return charges;
        }
        List<LedgerDebit> claimed = claimSkippingCharged(connection, debits);
        java.util.Set<EventKey> inserted = insertSkippingRecorded(connection, claimed);
        for (LedgerDebit debit : claimed) {
            if (inserted.contains(new EventKey(debit.eventId(), debit.occurredAtMillis()))) {
                charges.add(debit);
            }
        }
        return charges;
    }

    /** True when the COPYs wrote every claim and event; false, with the transaction rolled back, when one was charged before. */
    private static boolean copied(Connection connection, List<LedgerDebit> debits) throws SQLException {
        try {
            UsageEventsCopy.copyClaims(connection, debits);
            UsageEventsCopy.copy(connection, debits);
            return true;
        } catch (SQLException e) {
            if (!SqlFailures.isUniqueViolation(e)) {
                throw e;
            }
            connection.rollback();
            return false;
        }
    }

    /** The debits whose (user_id, event_id) this transaction claimed, in the batch's order. */
    private static List<LedgerDebit> claimSkippingCharged(Connection connection, List<LedgerDebit> debits) throws SQLException {
        int n = debits.size();
        String[] users = new String[n], events = new String[n];
        Long[] occurred = new Long[n];
        for (int i = 0; i < n; i++) {
            users[i] = debits.get(i).userId();
            events[i] = debits.get(i).eventId();
            occurred[i] = debits.get(i).occurredAtMillis();
        }
        java.util.Set<ClaimKey> won = new java.util.HashSet<>(n * 2);
        try (PreparedStatement statement = connection.prepareStatement(LedgerStatements.CLAIM_EVENT_IDS)) {
            statement.setArray(1, array(connection, "text", users));
            statement.setArray(2, array(connection, "text", events));
            statement.setArray(3, connection.createArrayOf("bigint", occurred));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    won.add(new ClaimKey(rows.getString(1), rows.getString(2)));
                }
            }
        }
        List<LedgerDebit> claimed = new ArrayList<>(won.size());
        for (LedgerDebit debit : debits) {
            if (won.contains(new ClaimKey(debit.userId(), debit.eventId()))) {
                claimed.add(debit);
            }
        }
        return claimed;
    }

    /** What the ledger charges once: an event id of a user. */
    private record ClaimKey(String userId, String eventId) {
    }

    private static java.util.Set<EventKey> insertSkippingRecorded(Connection connection, List<LedgerDebit> debits) throws SQLException {
        int n = debits.size();
        if (n == 0) {
            return java.util.Set.of();
        }
        String[] eventIds = new String[n], userIds = new String[n], providers = new String[n], models = new String[n];
        String[] powerLevels = new String[n], tiers = new String[n], priceVersions = new String[n], sources = new String[n];
        Long[] occurred = new Long[n], input = new Long[n], output = new Long[n], cached = new Long[n], cost = new Long[n], priced = new Long[n];
        for (int i = 0; i < n; i++) {
            LedgerDebit d = debits.get(i);
            eventIds[i] = d.eventId();
            occurred[i] = d.occurredAtMillis();
            userIds[i] = d.userId();
            providers[i] = d.provider();
            models[i] = d.model();
            input[i] = d.inputTokens();
            output[i] = d.outputTokens();
            cached[i] = d.cachedInputTokens();
            powerLevels[i] = d.powerLevel();
            tiers[i] = d.tier();
            cost[i] = d.amountNanos();
            priceVersions[i] = d.priceVersion();
            sources[i] = d.source();
            priced[i] = d.pricedAtMillis();
        }
        java.util.Set<EventKey> inserted = new java.util.HashSet<>(n * 2);
        try (PreparedStatement statement = connection.prepareStatement(LedgerStatements.RECORD_USAGE_EVENTS)) {
            Object[][] columns = {eventIds, occurred, userIds, providers, models, input, output, cached, powerLevels, tiers, cost,
                    priceVersions, sources, priced};
            String[] types = {"text", "bigint", "text", "text", "text", "bigint", "bigint", "bigint", "text", "text", "bigint",
                    "text", "text", "bigint"};
            for (int i = 0; i < columns.length; i++) {
                statement.setArray(i + 1, connection.createArrayOf(types[i], columns[i]));
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    inserted.add(new EventKey(rows.getString(1), rows.getLong(2)));
                }
            }
        }
        return inserted;
    }

    /** An event's key in the ledger: usage_events is unique on (event_id, occurred_at). */
    private record EventKey(String eventId, long occurredAtMillis) {
    }

    private void markChangedHours(Connection connection, BatchCharges charges) throws SQLException {
        Long[] hours = charges.hours();
        execute(connection, LedgerStatements.MARK_CHANGED_HOURS, statement -> statement.setArray(1, connection.createArrayOf("bigint", hours)));
    }

    private List<BalanceChange> chargeAccountsAndWriteLedger(Connection connection, BatchCharges charges, List<Long> confirmedCacheWrites,
                                                             long[] cachePendingId) throws SQLException {
        String[] users = charges.users();
        Map<String, BalanceChange> byUser = new HashMap<>();
        Credits ledgerTotal = Credits.ZERO;
        try (PreparedStatement statement = connection.prepareStatement(LedgerStatements.CHARGE_ACCOUNTS_AND_WRITE_LEDGER)) {
            statement.setArray(1, array(connection, "text", users));
            statement.setArray(2, connection.createArrayOf("bigint", charges.amounts()));
            statement.setArray(3, connection.createArrayOf("int4", charges.eventCounts()));
            statement.setString(4, "{\"source\":\"debit-applier\",\"batch_id\":\"" + UUID.randomUUID() + "\"}");
            statement.setString(5, consumerGroup);
            statement.setArray(6, connection.createArrayOf("bigint", confirmedCacheWrites.toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String user = rows.getString("user_id");
                    cachePendingId[0] = rows.getLong("cache_pending_id");
                    ledgerTotal = Credits.ofExact(rows.getBigDecimal("ledger_total"));
                    BigDecimal cap = rows.getBigDecimal("monthly_cap");
                    byUser.put(user, new BalanceChange(user, Credits.ofNanos(charges.chargedNanos(user)), charges.eventCount(user),
                            Credits.ofExact(rows.getBigDecimal("balance_before")), Credits.ofExact(rows.getBigDecimal("balance_after")),
                            Credits.ofExact(rows.getBigDecimal("mtd_before")), Credits.ofExact(rows.getBigDecimal("mtd_after")),
                            cap == null ? null : Credits.ofExact(cap), rows.getString("tier"), rows.getString("spend_blocked_reason"),
                            rows.getLong("balance_version")));
                }
            }
        }
        if (byUser.size() != users.length) {
            throw new IllegalStateException("charged " + byUser.size() + " accounts, expected " + users.length);
        }
        // the pair assertion: the ledger rows the statement wrote add up to what the batch charges, or nothing commits
        Credits charged = Credits.ofNanos(Arrays.stream(charges.amounts()).mapToLong(Long::longValue).sum());
        if (!ledgerTotal.negate().equals(charged)) {
            throw new IllegalStateException("the ledger rows sum to " + ledgerTotal + ", the batch charges " + charged);
        }
        List<BalanceChange> ordered = new ArrayList<>(users.length);
        // balance_before is derived (after + charge), for the alerts' crossing tests; it proves nothing, so nothing
        // is asserted on it: the ledger's own check is the end-to-end invariant (balance = sum of its transactions)
        for (String user : users) {
            ordered.add(byUser.get(user));
        }
        return ordered;
    }

    private void settleHolds(Connection connection, BatchCharges charges) throws SQLException {
        execute(connection, LedgerStatements.SETTLE_HOLDS, statement -> {
            statement.setArray(1, array(connection, "text", charges.recordedUsers()));
            statement.setArray(2, array(connection, "text", charges.recordedEvents()));
        });
    }

    private void storeOffsets(Connection connection, List<PartitionOffset> offsets) throws SQLException {
        if (offsets.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(LedgerStatements.STORE_OFFSETS)) {
            statement.setString(1, consumerGroup);
            statement.setArray(2, array(connection, "text", offsets.stream().map(PartitionOffset::topic).toArray(String[]::new)));
            statement.setArray(3, connection.createArrayOf("int4", offsets.stream().map(PartitionOffset::partition).toArray(Integer[]::new)));
            statement.setArray(4, connection.createArrayOf("bigint", offsets.stream().map(PartitionOffset::nextOffset).toArray(Long[]::new)));
            statement.setArray(5, array(connection, "text", offsets.stream().map(PartitionOffset::topicId).toArray(String[]::new)));
            statement.executeUpdate();
        }
    }

    /** The offsets stored for {@code topic}: partition to next offset to read. */
    public Map<Integer, Long> storedOffsets(String topic) throws SQLException {
        return storedOffsets(topic, null);
    }

    /**
     * The offsets stored for {@code topic} while it had the id {@code topicId}. Offsets stored under another id
     * belong to an earlier topic of that name and are ignored; with a null id every stored offset counts.
     */
    public Map<Integer, Long> storedOffsets(String topic, String topicId) throws SQLException {
        Map<Integer, Long> offsets = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LedgerStatements.READ_OFFSETS)) {
            statement.setString(1, consumerGroup);
            statement.setString(2, topic);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String storedId = rows.getString(3);
                    if (topicId == null || storedId == null || storedId.equals(topicId)) {
                        offsets.put(rows.getInt(1), rows.getLong(2));
                    }
                }
            }
        }
        return offsets;
    }

    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    private static void execute(Connection connection, String sql, Binder binder) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            binder.bind(statement);
            statement.execute();
        }
    }

    private static Array array(Connection connection, String type, String[] values) throws SQLException {
        return connection.createArrayOf(type, values);
    }
}
