package io.llmmetering.creditapi.webhooks;

import tools.jackson.databind.json.JsonMapper;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where events become deliveries: one row per subscribed endpoint in {@code webhook_deliveries}, written in the
 * transaction of the change that raised the event, so a crash loses the event and its change together or neither.
 * The dispatcher sends them from there, at least once.
 */
public final class WebhookOutbox {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final DataSource dataSource;

    public WebhookOutbox(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * One event: {@code id} is its {@code webhook-id} (receivers dedupe on it), {@code body} the exact JSON sent and
     * signed: {@code {"type", "timestamp", "data"}} as Standard Webhooks payloads are.
     */
    public record Message(String id, String type, String body) {

        public static Message of(String type, Instant timestamp, Map<String, Object> data) {
            if (!WebhookEventTypes.ALL.contains(type)) {
                throw new IllegalArgumentException("unknown webhook event type " + type);
            }
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("type", type);
            payload.put("timestamp", timestamp.toString());
            payload.put("data", data);
            return new Message("msg_" + UUID.randomUUID().toString().replace("-", ""), type, JSON.writeValueAsString(payload));
        }
    }

    /** Enqueues {@code messages} on {@code connection}, inside its caller's transaction. */
    public static void enqueue(Connection connection, List<Message> messages) throws SQLException {
        if (messages.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(WebhookStatements.ENQUEUE)) {
            insert.setArray(1, connection.createArrayOf("text", messages.stream().map(Message::id).toArray()));
            insert.setArray(2, connection.createArrayOf("text", messages.stream().map(Message::type).toArray()));
            insert.setArray(3, connection.createArrayOf("text", messages.stream().map(Message::body).toArray()));
            insert.executeUpdate();
        }
    }

    /** Enqueues {@code messages} in a transaction of their own: for events no database change raised (a spend spike). */
    public void enqueue(List<Message> messages) throws SQLException {
        if (messages.isEmpty()) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            enqueue(connection, messages);
        }
    }
}
