package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.SpendableAccount;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

/** A spend batch's rows in PostgreSQL: what it reads under the account locks, and what it writes once it has judged. */
final class SpendBatchRows {

    private SpendBatchRows() {
    }

    /** Locks the batch's accounts (in the applier's order) and reads them, the holds and the deduct keys its requests name. */
    static SpendBatch.Stored read(Connection connection, List<SpendRequest> requests) throws SQLException {
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
    static Map<UUID, Instant> write(Connection connection, SpendBatch.Decisions decisions) throws SQLException {
        List<SpendBatch.AccountChange> accounts = decisions.accounts();
        List<SpendBatch.NewHold> holds = decisions.holds();
        List<SpendBatch.NewDeduct> deducts = decisions.deducts();
        Credits charged = Credits.ZERO;
        for (SpendBatch.AccountChange change : accounts) {
            charged = charged.plus(change.spent());
        }
        try (PreparedStatement write = connection.prepareStatement(SpendBatchStatements.WRITE)) {
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
}
