package io.llmmetering.creditapi.webhooks;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The admin's side of webhooks: endpoints registered, listed, paused and removed, and their delivery log. */
public final class WebhookEndpoints {

    private final DataSource dataSource;
    private final WebhookTargets targets;

    public WebhookEndpoints(DataSource dataSource, WebhookSettings settings) {
        this.dataSource = dataSource;
        this.targets = new WebhookTargets(settings.allowPrivateNetworks());
    }

    public record Endpoint(UUID id, String url, List<String> eventTypes, String description, boolean enabled, Instant createdAt) {
    }

    /** A registered endpoint and its signing secret, which is shown this once. */
    public record Registered(Endpoint endpoint, String secret) {
    }

    public record Delivery(long id, String messageId, String eventType, String status, int attempts, Instant nextAttemptAt,
                           Instant lastAttemptAt, Integer lastStatusCode, String lastError, String lastResponse, Instant createdAt,
                           Instant deliveredAt) {
    }

    /** Why an endpoint's URL is refused ({@code url} is then the field at fault). */
    public static final class RefusedTarget extends RuntimeException {

        RefusedTarget(String reason) {
            super(reason, null, false, false);
        }
    }

    public Registered register(String url, List<String> eventTypes, String description, String actor) throws SQLException {
        targets.refusal(url).ifPresent(reason -> {
            throw new RefusedTarget(reason);
        });
        String secret = WebhookSignature.newSecret();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(WebhookStatements.CREATE_ENDPOINT)) {
            insert.setString(1, url);
            insert.setArray(2, connection.createArrayOf("text", eventTypes.toArray()));
            insert.setString(3, secret);
            insert.setString(4, description);
            insert.setString(5, actor);
            try (ResultSet row = insert.executeQuery()) {
                row.next();
                return new Registered(new Endpoint(row.getObject(1, UUID.class), url, List.copyOf(eventTypes), description, true,
                        row.getTimestamp(2).toInstant()), secret);
            }
        }
    }

    public List<Endpoint> list() throws SQLException {
        List<Endpoint> endpoints = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement(WebhookStatements.LIST_ENDPOINTS);
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                endpoints.add(endpoint(rows));
            }
        }
        return endpoints;
    }

    public Optional<Endpoint> find(UUID id) throws SQLException {
        return one(WebhookStatements.FIND_ENDPOINT, statement -> statement.setObject(1, id), WebhookEndpoints::endpoint);
    }

    /** Paused endpoints keep their deliveries and get none sent until resumed. */
    public Optional<Endpoint> setEnabled(UUID id, boolean enabled) throws SQLException {
        return one(WebhookStatements.SET_ENABLED, statement -> {
            statement.setBoolean(1, enabled);
            statement.setObject(2, id);
        }, WebhookEndpoints::endpoint);
    }

    /** Removes the endpoint and its delivery log. */
    public boolean delete(UUID id) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement delete = connection.prepareStatement(WebhookStatements.DELETE_ENDPOINT)) {
            delete.setObject(1, id);
            return delete.executeUpdate() == 1;
        }
    }

    /** Newest first; {@code beforeId} continues a page, {@code status} filters. */
    public List<Delivery> deliveries(UUID endpointId, Optional<String> status, long beforeId, int limit) throws SQLException {
        List<Delivery> deliveries = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement(WebhookStatements.DELIVERIES)) {
            query.setObject(1, endpointId);
            query.setLong(2, beforeId);
            query.setString(3, status.orElse(null));
            query.setString(4, status.orElse(null));
            query.setInt(5, limit);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    deliveries.add(delivery(rows));
                }
            }
        }
        return deliveries;
    }

    public Optional<Delivery> delivery(UUID endpointId, long deliveryId) throws SQLException {
        return one(WebhookStatements.DELIVERY, statement -> {
            statement.setLong(1, deliveryId);
            statement.setObject(2, endpointId);
        }, WebhookEndpoints::delivery);
    }

    /** Sends it again now with a fresh schedule; empty when there is no such delivery or it is being sent right now. */
    public Optional<Delivery> redeliver(UUID endpointId, long deliveryId) throws SQLException {
        return one(WebhookStatements.REDELIVER, statement -> {
            statement.setLong(1, deliveryId);
            statement.setObject(2, endpointId);
        }, WebhookEndpoints::delivery);
    }

    /** A {@code webhook.test} event to this endpoint alone, to check that it receives and verifies. */
    public long sendTest(UUID endpointId, Instant now) throws SQLException {
        WebhookOutbox.Message message = WebhookOutbox.Message.of(WebhookEventTypes.TEST, now, Map.of("endpoint_id", endpointId.toString()));
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(WebhookStatements.ENQUEUE_TO_ENDPOINT)) {
            insert.setObject(1, endpointId);
            insert.setString(2, message.id());
            insert.setString(3, message.type());
            insert.setString(4, message.body());
            try (ResultSet row = insert.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(ResultSet row) throws SQLException;
    }

    private <T> Optional<T> one(String sql, Binder binder, Reader<T> reader) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            binder.bind(statement);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(reader.read(row)) : Optional.empty();
            }
        }
    }

    private static Endpoint endpoint(ResultSet row) throws SQLException {
        Array types = row.getArray(3);
        return new Endpoint(row.getObject(1, UUID.class), row.getString(2), List.of((String[]) types.getArray()), row.getString(4),
                row.getBoolean(5), row.getTimestamp(6).toInstant());
    }

    private static Delivery delivery(ResultSet row) throws SQLException {
        int status = row.getInt(8);
        Integer lastStatus = row.wasNull() ? null : status;
        return new Delivery(row.getLong(1), row.getString(2), row.getString(3), row.getString(4), row.getInt(5), instant(row.getTimestamp(6)),
                instant(row.getTimestamp(7)), lastStatus, row.getString(9), row.getString(10), instant(row.getTimestamp(11)),
                instant(row.getTimestamp(12)));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
