package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.jdbc.Transactions;

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
import java.util.List;
import java.time.Instant;
import org.slf4j.LoggerFactory;
import io.llmmetering.schemas.CreditAlert;
import io.llmmetering.creditapi.webhooks.AlertEvents;
import io.llmmetering.creditapi.webhooks.WebhookOutbox;
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
    private final ApplierSettings alertSettings;

    public BatchApplier(DataSource dataSource, String consumerGroup) {
        this(dataSource, consumerGroup, () -> { });
    }

    /** {@code beforeCommit} runs inside the transaction just before it commits: tests make it fail. */
    BatchApplier(DataSource dataSource, String consumerGroup, Runnable beforeCommit) {
        this(dataSource, consumerGroup, beforeCommit, null);
    }

    private BatchApplier(DataSource dataSource, String consumerGroup, Runnable beforeCommit, ApplierSettings alertSettings) {
        this.dataSource = dataSource;
        this.consumerGroup = consumerGroup;
        this.beforeCommit = beforeCommit;
        this.alertSettings = alertSettings;
    }

    /**
     * This applier, raising the alerts each batch's balance changes call for ({@link CreditAlerts}) inside the
     * batch's transaction, where their webhook deliveries are written: the alert and the charge that raised it
     * commit together or not at all.
     */
    BatchApplier raisingAlerts(ApplierSettings settings) {
        return new BatchApplier(dataSource, consumerGroup, beforeCommit, settings);
    }

    /** Where events that no batch transaction raised (spend spikes) queue their webhooks. */
    WebhookOutbox webhookOutbox() {
        return new WebhookOutbox(dataSource);
    }

    /** The notes of this consumer group's batches whose balances may not have reached Redis. */
    CacheNotes cacheNotes() {
        return new CacheNotes(dataSource, consumerGroup);
    }

    public AppliedBatch apply(List<LedgerDebit> debits, List<PartitionOffset> offsets) throws SQLException {
        return apply(debits, offsets, List.of());
    }

    /**
     * {@code confirmedCacheWrites}: the {@link AppliedBatch#cachePendingId()}s of earlier batches whose balances
     * have reached Redis since; their notes go with this batch's charge (when it has one).
     */
    public AppliedBatch apply(List<LedgerDebit> debits, List<PartitionOffset> offsets, List<Long> confirmedCacheWrites) throws SQLException {
        return Transactions.inTransaction(dataSource, connection -> {
            AppliedBatch batch = apply(connection, debits, offsets, confirmedCacheWrites);
            beforeCommit.run();
            return batch;
        });
    }

    private AppliedBatch apply(Connection connection, List<LedgerDebit> debits, List<PartitionOffset> offsets,
                               List<Long> confirmedCacheWrites) throws SQLException {
        Charged charged = new Charged(List.of(), 0);
        BatchCharges charges = debits.isEmpty() ? new BatchCharges() : LedgerEvents.record(connection, debits);
        if (!charges.isEmpty()) {
            markChangedHours(connection, charges);
            charged = chargeAccountsAndWriteLedger(connection, charges, confirmedCacheWrites);
            settleHolds(connection, charges);
        }
        Raised raised = alertsOf(charged.changes());
        WebhookOutbox.enqueue(connection, raised.webhooks());
        storeOffsets(connection, offsets);
        return new AppliedBatch(debits.size(), charges.events(), debits.size() - charges.events(), charged.changes(), charges,
                charged.cachePendingId(), raised.alerts());
    }

    /**
     * The alerts a batch's changes raise. Money comes first: an alert that cannot be made (a bug, an input nobody
     * foresaw) is logged and dropped, never a reason to fail the batch and stall its partition.
     */
    private Raised alertsOf(List<BalanceChange> changes) {
        if (alertSettings == null || changes.isEmpty()) {
            return Raised.NONE;
        }
        try {
            List<CreditAlert> alerts = CreditAlerts.of(changes, alertSettings, Instant.now());
            return alerts.isEmpty() ? Raised.NONE : new Raised(alerts, AlertEvents.messages(alerts));
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(BatchApplier.class).warn("alerts of a batch dropped accounts={} error={}", changes.size(), e.toString());
            return Raised.NONE;
        }
    }

    /** A batch's alerts and their webhook events. */
    private record Raised(List<CreditAlert> alerts, List<WebhookOutbox.Message> webhooks) {
        static final Raised NONE = new Raised(List.of(), List.of());
    }

    /** What the charge wrote: each account's change, in the batch's user order, and the id of the batch's cache note. */
    private record Charged(List<BalanceChange> changes, long cachePendingId) {
    }

    private void markChangedHours(Connection connection, BatchCharges charges) throws SQLException {
        Long[] hours = charges.hours();
        execute(connection, LedgerStatements.MARK_CHANGED_HOURS, statement -> statement.setArray(1, connection.createArrayOf("bigint", hours)));
    }

    private Charged chargeAccountsAndWriteLedger(Connection connection, BatchCharges charges, List<Long> confirmedCacheWrites)
            throws SQLException {
        String[] users = charges.users();
        long cachePendingId = 0;
        Map<String, BalanceChange> byUser = new HashMap<>();
        BigDecimal ledgerTotal = BigDecimal.ZERO;
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
                    cachePendingId = rows.getLong("cache_pending_id");
                    ledgerTotal = rows.getBigDecimal("ledger_total");
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
        // the pair assertion: the ledger rows the statement wrote add up to what the batch charges, or nothing commits.
        // Summed as decimals: each user's charge fits a long of nano-credits, a batch's total over users need not
        BigDecimal charged = Arrays.stream(charges.amounts()).map(nanos -> BigDecimal.valueOf(nanos, 9)).reduce(BigDecimal.ZERO, BigDecimal::add);
        if (ledgerTotal.negate().compareTo(charged) != 0) {
            throw new IllegalStateException("the ledger rows sum to " + ledgerTotal + ", the batch charges " + charged);
        }
        List<BalanceChange> ordered = new ArrayList<>(users.length);
        // balance_before is derived (after + charge), for the alerts' crossing tests; it proves nothing, so nothing
        // is asserted on it: the ledger's own check is the end-to-end invariant (balance = sum of its transactions)
        for (String user : users) {
            ordered.add(byUser.get(user));
        }
        return new Charged(ordered, cachePendingId);
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
