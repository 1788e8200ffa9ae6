package io.llmmetering.local;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.PriceBook;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Synthetic proxy traffic ({@link Workload}) through the running system's ingest API, then a check of the
 * ledger's invariants to the nano-credit: hundreds of users with a skewed share of the calls, a skewed model mix,
 * 10 % retried duplicates, a few bad events (unknown models for the topology's DLQ, negative tokens for ingest).
 * Every user's applied spend must equal the price of their unique events, and
 * their balance the sum of their ledger rows. A command-line tool: it reports on stdout.
 */
final class DemoTraffic {

    private static final int USERS = 300;
    private static final int BATCH = 500;
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(3);

    private final LocalSettings settings;
    private final String ingestKey;
    private final PriceBook book;
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final HttpClient http = HttpClient.newHttpClient();

    DemoTraffic(LocalSettings settings, String ingestKey, PriceBook book) {
        this.settings = settings;
        this.ingestKey = ingestKey;
        this.book = book;
    }

    /** Returns the number of discrepancies found. */
    long run(int events) throws Exception {
        Workload workload = new Workload("demo-" + run, USERS, 0.1, run.hashCode(), book);
        Map<String, Long> expectedNanos = new HashMap<>();
        List<String> batch = new ArrayList<>(BATCH);
        long sent = 0;
        long unique = 0;
        long bad = 0;
        long started = System.nanoTime();
        Workload.Call call = null;
        for (int i = 0; i < events; i++) {
            call = workload.next(call);
            String user = workload.userId(call.user());
            if (!call.valid()) {
                bad++; // an unknown model: dead-lettered by the topology
            } else if (!call.duplicate()) {
                unique++;
                expectedNanos.merge(user, call.costNanos(), Long::sum);
            }
            if (i % 1499 == 0) {
                // negative tokens under an id of its own, refused by ingest; reusing the call's id would let the
                // call's retry (which carries valid tokens) be charged without being counted
                bad++;
                batch.add(event(call.eventId() + "-neg", user, call.model(), -call.inputTokens(), call.outputTokens(), call.powerLevel()));
            }
            // a duplicate is a proxy's retry of the call before it: it must be charged once
            batch.add(event(call.eventId(), user, call.model(), call.inputTokens(), call.outputTokens(), call.powerLevel()));
            if (batch.size() >= BATCH || i == events - 1) {
                sent += post(batch);
                batch.clear();
                progress(sent, started, unique, applied());
            }
        }
        if (!batch.isEmpty()) {
            sent += post(batch);
        }
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        long applied = applied();
        while (applied < unique && System.nanoTime() < deadline) {
            Thread.sleep(500);
            applied = applied();
            progress(sent, started, unique, applied);
        }
        System.out.println();
        return summarize(expectedNanos, unique, bad, applied);
    }

    private static String event(String id, String user, String model, long input, long output, String power) {
        return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"provider\":\"demo\",\"model\":\"" + model
                + "\",\"input_tokens\":" + input + ",\"output_tokens\":" + output + ",\"power_level\":\"" + power
                + "\",\"occurred_at\":\"" + Instant.now() + "\"}";
    }

    private int post(List<String> events) throws Exception {
        String body = "[" + String.join(",", events) + "]";
        for (int attempt = 0; attempt < 10; attempt++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + settings.ingestPort() + "/api/v1/usage/events"))
                    .header("Authorization", "Bearer " + ingestKey).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 202) {
                return events.size();
            }
            Thread.sleep(1_000); // 503: Kafka busy or away; the retry is deduplicated by event id
        }
        throw new IllegalStateException("ingest refused a batch ten times");
    }

    /** {@code lag}: unique valid events sent but not yet in the ledger. */
    private void progress(long sent, long started, long unique, long applied) {
        double seconds = Math.max(0.001, (System.nanoTime() - started) / 1e9);
        System.out.printf("\r[demo] sent %,d events (%,.0f/s)  debits applied %,d  lag %,d   ", sent, sent / seconds, applied,
                Math.max(0, unique - applied));
        System.out.flush();
    }

    private long applied() throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("SELECT count(*) FROM usage_events WHERE event_id LIKE ?")) {
            s.setString(1, "demo-" + run + "-%");
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private long summarize(Map<String, Long> expectedNanos, long unique, long bad, long applied) throws SQLException {
        Map<String, Long> balances = new HashMap<>();
        Map<String, Long> ledger = new HashMap<>();
        try (Connection c = connect()) {
            read(c, "SELECT user_id, balance FROM user_credits WHERE user_id LIKE ?", balances);
            read(c, "SELECT user_id, sum(amount) FROM credit_transactions WHERE user_id LIKE ? GROUP BY user_id", ledger);
        }
        long discrepancies = 0;
        long expectedTotal = 0;
        long appliedTotal = 0;
        for (Map.Entry<String, Long> user : expectedNanos.entrySet()) {
            long expected = user.getValue();
            long charged = -balances.getOrDefault(user.getKey(), 0L);
            expectedTotal += expected;
            appliedTotal += charged;
            if (charged != expected || !balances.getOrDefault(user.getKey(), 0L).equals(ledger.getOrDefault(user.getKey(), 0L))) {
                discrepancies++;
                System.out.println("[demo] MISMATCH " + user.getKey() + " expected " + Credits.ofNanos(expected) + " charged " + Credits.ofNanos(charged)
                        + " ledger " + Credits.ofNanos(-ledger.getOrDefault(user.getKey(), 0L)));
            }
        }
        if (applied != unique) {
            discrepancies++;
            System.out.println("[demo] MISMATCH events applied " + applied + " of " + unique + " unique valid events");
        }
        System.out.printf("[demo] users %d, unique valid events %,d, applied %,d, bad events sent %d (refused or dead-lettered)%n",
                expectedNanos.size(), unique, applied, bad);
        System.out.printf("[demo] expected spend %s credits, applied %s credits%n", Credits.ofNanos(expectedTotal), Credits.ofNanos(appliedTotal));
        System.out.println("discrepancies: " + discrepancies);
        return discrepancies;
    }

    private void read(Connection c, String sql, Map<String, Long> into) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, "demo-" + run + "-%");
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    BigDecimal amount = r.getBigDecimal(2);
                    into.put(r.getString(1), Credits.ofExact(amount).nanos());
                }
            }
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(settings.databaseUrl(), settings.databaseUser(), System.getenv().getOrDefault("METERING_DB_PASSWORD", ""));
    }
}
