package io.llmmetering.creditapi.holds;

import io.llmmetering.creditapi.jdbc.Transactions;
import io.llmmetering.creditapi.webhooks.WebhookEventTypes;
import io.llmmetering.creditapi.webhooks.WebhookOutbox;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

/** Holds no usage settled in time, released: what they reserved is spendable again, and a {@code hold.expired} event says so. */
public final class ExpiredHolds {

    private static final int BATCH = 500;

    private final DataSource dataSource;
    private final Counter expired;

    public ExpiredHolds(DataSource dataSource, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.expired = Counter.builder("credit.holds").tag("outcome", "expired").description("holds released because no usage settled them in time")
                .register(registry);
    }

    /** Releases every hold past its expiry, a batch of {@value #BATCH} at a time. */
    public void expireAllDue() throws SQLException {
        while (expireDue(BATCH) == BATCH) {
            // a backlog: keep going
        }
    }

    /** Releases up to {@code limit} holds past their expiry; returns how many. Safe to run on every instance at once. */
    public int expireDue(int limit) throws SQLException {
        int count = Transactions.inTransaction(dataSource, connection -> {
            List<UUID> ids = new ArrayList<>();
            TreeSet<String> users = new TreeSet<>();
            try (PreparedStatement due = connection.prepareStatement(HoldStatements.DUE_HOLDS)) {
                due.setInt(1, limit);
                try (ResultSet row = due.executeQuery()) {
                    while (row.next()) {
                        ids.add(row.getObject(1, UUID.class));
                        users.add(row.getString(2));
                    }
                }
            }
            if (ids.isEmpty()) {
                return 0;
            }
            try (PreparedStatement lock = connection.prepareStatement(HoldStatements.LOCK_ACCOUNTS_IN_ORDER)) {
                lock.setArray(1, connection.createArrayOf("text", users.toArray()));
                lock.executeQuery().close();
            }
            List<WebhookOutbox.Message> events = new ArrayList<>();
            try (PreparedStatement expire = connection.prepareStatement(HoldStatements.EXPIRE_HOLDS)) {
                expire.setArray(1, connection.createArrayOf("uuid", ids.toArray()));
                try (ResultSet row = expire.executeQuery()) {
                    Instant now = Instant.now();
                    while (row.next()) {
                        Map<String, Object> data = new LinkedHashMap<>();
                        data.put("hold_id", row.getString(1));
                        data.put("user_id", row.getString(2));
                        data.put("request_id", row.getString(3));
                        data.put("amount", row.getBigDecimal(4));
                        data.put("expired_at", row.getTimestamp(5).toInstant().toString());
                        events.add(WebhookOutbox.Message.of(WebhookEventTypes.HOLD_EXPIRED, now, data));
                    }
                }
            }
            // in the release's transaction: the event and the credits it frees commit together
            WebhookOutbox.enqueue(connection, events);
            return events.size();
        });
        expired.increment(count);
        return count;
    }
}
