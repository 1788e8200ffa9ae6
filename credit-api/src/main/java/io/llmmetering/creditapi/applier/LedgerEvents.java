package io.llmmetering.creditapi.applier;

import io.llmmetering.creditapi.jdbc.SqlFailures;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A batch's usage events in the ledger, each charged at most once: the first step of {@link BatchApplier}'s transaction. */
final class LedgerEvents {

    private LedgerEvents() {
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
    static BatchCharges record(Connection connection, List<LedgerDebit> batch) throws SQLException {
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
        Set<EventKey> inserted = insertSkippingRecorded(connection, claimed);
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
        Set<ClaimKey> won = new HashSet<>(n * 2);
        try (PreparedStatement statement = connection.prepareStatement(LedgerStatements.CLAIM_EVENT_IDS)) {
            statement.setArray(1, connection.createArrayOf("text", users));
            statement.setArray(2, connection.createArrayOf("text", events));
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

    private static Set<EventKey> insertSkippingRecorded(Connection connection, List<LedgerDebit> debits) throws SQLException {
        int n = debits.size();
        if (n == 0) {
            return Set.of();
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
        Set<EventKey> inserted = new HashSet<>(n * 2);
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
}
