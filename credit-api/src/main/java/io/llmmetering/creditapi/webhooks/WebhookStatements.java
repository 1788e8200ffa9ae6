package io.llmmetering.creditapi.webhooks;

/** The SQL of webhook endpoints and their deliveries (tables of V16). */
final class WebhookStatements {

    private WebhookStatements() {
    }

    /** One delivery per enabled endpoint subscribed to each message's type; messages bound as three parallel arrays. */
    static final String ENQUEUE = """
            INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, payload)
            SELECT e.id, m.message_id, m.event_type, m.payload
              FROM unnest(?::text[], ?::text[], ?::text[]) AS m(message_id, event_type, payload)
              JOIN webhook_endpoints e ON e.enabled AND m.event_type = ANY (e.event_types)
            """;

    /** A test message to one endpoint, whatever it subscribed to. */
    static final String ENQUEUE_TO_ENDPOINT = """
            INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, payload) VALUES (?, ?, ?, ?)
            RETURNING id
            """;

    /** What a delivery that can be attempted now looks like: due and pending, or claimed by a sender whose lease ran out. */
    private static final String DUE = """
            ((%1$s.status = 'pending' AND %1$s.next_attempt_at <= now()) OR (%1$s.status = 'sending' AND %1$s.claimed_until < now()))""";

    /**
     * Claims due deliveries, at most one per endpoint and none of an endpoint that has one in flight, oldest due
     * first; the lease ({@code claimed_until}) lets another process retry it if this one dies mid-attempt.
     */
    static final String CLAIM = """
            UPDATE webhook_deliveries d
               SET status = 'sending', claimed_until = now() + ? * interval '1 millisecond', attempts = d.attempts + 1, last_attempt_at = now()
              FROM webhook_endpoints e
             WHERE e.id = d.endpoint_id
               AND d.id IN (SELECT id FROM (SELECT DISTINCT ON (w.endpoint_id) w.id, w.next_attempt_at
                                              FROM webhook_deliveries w
                                              JOIN webhook_endpoints we ON we.id = w.endpoint_id AND we.enabled
                                             WHERE %1$s
                                               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries s
                                                                WHERE s.endpoint_id = w.endpoint_id AND s.status = 'sending'
                                                                  AND s.claimed_until >= now())
                                             ORDER BY w.endpoint_id, w.next_attempt_at, w.id) first_due
                             ORDER BY next_attempt_at LIMIT ?)
               AND %2$s
            RETURNING d.id, d.message_id, d.event_type, d.payload, d.attempts, e.url, e.secret
            """.formatted(DUE.formatted("w"), DUE.formatted("d"));

    static final String DELIVERED = """
            UPDATE webhook_deliveries
               SET status = 'delivered', delivered_at = now(), claimed_until = NULL, last_status_code = ?, last_error = NULL, last_response = ?
             WHERE id = ? AND status = 'sending'
            """;

    static final String ATTEMPT_FAILED = """
            UPDATE webhook_deliveries
               SET status = ?, next_attempt_at = now() + ? * interval '1 millisecond', claimed_until = NULL, last_status_code = ?, last_error = ?, last_response = ?
             WHERE id = ? AND status = 'sending'
            """;

    static final String CREATE_ENDPOINT = """
            INSERT INTO webhook_endpoints (url, event_types, secret, description, created_by) VALUES (?, ?, ?, ?, ?)
            RETURNING id, created_at
            """;

    private static final String ENDPOINT_COLUMNS = "id, url, event_types, description, enabled, created_at";

    static final String LIST_ENDPOINTS = "SELECT " + ENDPOINT_COLUMNS + " FROM webhook_endpoints ORDER BY created_at, id";

    static final String FIND_ENDPOINT = "SELECT " + ENDPOINT_COLUMNS + " FROM webhook_endpoints WHERE id = ?";

    static final String SET_ENABLED = "UPDATE webhook_endpoints SET enabled = ? WHERE id = ? RETURNING " + ENDPOINT_COLUMNS;

    static final String DELETE_ENDPOINT = "DELETE FROM webhook_endpoints WHERE id = ?";

    private static final String DELIVERY_COLUMNS = """
            id, message_id, event_type, status, attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, last_response,
            created_at, delivered_at""";

    /** An endpoint's delivery log, newest first, keyset-paginated on id, optionally of one status. */
    static final String DELIVERIES = """
            SELECT %s FROM webhook_deliveries
             WHERE endpoint_id = ? AND id < ? AND (?::text IS NULL OR status = ?)
             ORDER BY id DESC LIMIT ?
            """.formatted(DELIVERY_COLUMNS);

    static final String DELIVERY = "SELECT " + DELIVERY_COLUMNS + " FROM webhook_deliveries WHERE id = ? AND endpoint_id = ?";

    /** Sends a delivery again now, with a fresh schedule and the same message id (receivers dedupe on it). */
    static final String REDELIVER = """
            UPDATE webhook_deliveries
               SET status = 'pending', next_attempt_at = now(), attempts = 0, claimed_until = NULL
             WHERE id = ? AND endpoint_id = ? AND status <> 'sending'
            RETURNING %s
            """.formatted(DELIVERY_COLUMNS);
}
