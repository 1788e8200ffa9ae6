package io.llmmetering.creditapi.webhooks;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends webhook deliveries: claims those due (at most one in flight per endpoint, across every process), sends
 * each on a sender thread with its Standard Webhooks headers, and records the answer. A 2xx is delivered; anything
 * else (another status, a redirect, which is never followed, a timeout, a refused connection, a target that now
 * resolves to a private address) is tried again after the next pause of the schedule, and {@code failed} after
 * the last. The applier never waits for any of it: it only wrote rows.
 */
public final class WebhookDispatcher implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    static final int ANSWER_BYTES_KEPT = 2_048;
    private static final String USER_AGENT = "llm-metering-webhooks/1";

    private final DataSource dataSource;
    private final WebhookSettings settings;
    private final WebhookTargets targets;
    private final MeterRegistry registry;
    private final HttpClient http;
    private final ExecutorService senders;
    private final Semaphore free;
    private final AtomicBoolean running = new AtomicBoolean(true);

    public WebhookDispatcher(DataSource dataSource, WebhookSettings settings, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.settings = settings;
        this.targets = new WebhookTargets(settings.allowPrivateNetworks());
        this.registry = registry;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(settings.timeout()).build();
        this.senders = Executors.newFixedThreadPool(settings.senders(), runnable -> {
            Thread thread = new Thread(runnable, "webhook-sender");
            thread.setDaemon(true);
            return thread;
        });
        this.free = new Semaphore(settings.senders());
    }

    private record Claimed(long id, String messageId, String eventType, String body, int attempts, String url, String secret) {
    }

    /** What one attempt got: the status (0 when there was no answer), the answer's start, and what went wrong. */
    private record Outcome(int status, String answer, String error) {

        /** PostgreSQL's text cannot hold NUL, which a hostile receiver may well send. */
        Outcome {
            answer = answer == null ? null : answer.replace('\u0000', '\ufffd');
            error = error == null ? null : error.replace('\u0000', '\ufffd');
        }

        boolean delivered() {
            return status >= 200 && status < 300;
        }
    }

    @Override
    public void run() {
        while (running.get()) {
            try {
                int room = free.availablePermits();
                List<Claimed> due = room == 0 ? List.of() : claim(room);
                for (Claimed delivery : due) {
                    free.acquire();
                    senders.execute(() -> {
                        try {
                            record(delivery, attempt(delivery));
                        } finally {
                            free.release();
                        }
                    });
                }
                if (due.isEmpty()) {
                    Thread.sleep(settings.pollInterval().toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SQLException | RuntimeException e) {
                log.warn("webhook deliveries not claimed error={}", e.toString());
                sleepQuietly(settings.pollInterval().multipliedBy(5));
            }
        }
    }

    private List<Claimed> claim(int room) throws SQLException {
        List<Claimed> claimed = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement claim = connection.prepareStatement(WebhookStatements.CLAIM)) {
            // the lease outlasts an attempt (connection and answer) with room to record it
            claim.setLong(1, settings.timeout().multipliedBy(3).toMillis());
            claim.setInt(2, room);
            try (ResultSet rows = claim.executeQuery()) {
                while (rows.next()) {
                    claimed.add(new Claimed(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4), rows.getInt(5),
                            rows.getString(6), rows.getString(7)));
                }
            }
        }
        return claimed;
    }

    private Outcome attempt(Claimed delivery) {
        Optional<String> refused = targets.refusal(delivery.url());
        if (refused.isPresent()) {
            return new Outcome(0, null, "target refused: " + refused.get());
        }
        long timestamp = System.currentTimeMillis() / 1000;
        HttpRequest request = HttpRequest.newBuilder(URI.create(delivery.url())).timeout(settings.timeout())
                .header("Content-Type", "application/json").header("User-Agent", USER_AGENT)
                .header("webhook-id", delivery.messageId()).header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", WebhookSignature.sign(delivery.secret(), delivery.messageId(), timestamp, delivery.body()))
                .POST(HttpRequest.BodyPublishers.ofString(delivery.body())).build();
        CompletableFuture<HttpResponse<String>> answer = http.sendAsync(request, info -> new TruncatedBody(ANSWER_BYTES_KEPT));
        try {
            HttpResponse<String> response = answer.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
            int status = response.statusCode();
            String error = status >= 300 && status < 400 ? "redirect not followed" : status >= 300 ? "answered " + status : null;
            return new Outcome(status, response.body(), error);
        } catch (TimeoutException e) {
            answer.cancel(true);
            return noAnswer();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.net.http.HttpTimeoutException) {
                return noAnswer(); // the request's own timeout, the same as ours, fired first
            }
            return new Outcome(0, null, e.getCause() == null ? e.toString() : e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(0, null, "sender stopped");
        }
    }

    private Outcome noAnswer() {
        return new Outcome(0, null, "no answer within " + settings.timeout().toMillis() + " ms");
    }

    private void record(Claimed delivery, Outcome outcome) {
        String result = outcome.delivered() ? "delivered" : delivery.attempts() >= settings.maxAttempts() ? "failed" : "retrying";
        registry.counter("credit.webhooks.attempts", "event_type", delivery.eventType(), "result", result).increment();
        try (Connection connection = dataSource.getConnection()) {
            if (outcome.delivered()) {
                try (PreparedStatement delivered = connection.prepareStatement(WebhookStatements.DELIVERED)) {
                    delivered.setInt(1, outcome.status());
                    delivered.setString(2, outcome.answer());
                    delivered.setLong(3, delivery.id());
                    delivered.executeUpdate();
                }
                return;
            }
            Duration pause = delivery.attempts() >= settings.maxAttempts() ? Duration.ZERO : settings.pauseAfter(delivery.attempts());
            try (PreparedStatement failed = connection.prepareStatement(WebhookStatements.ATTEMPT_FAILED)) {
                failed.setString(1, result.equals("failed") ? "failed" : "pending");
                failed.setLong(2, pause.toMillis());
                if (outcome.status() == 0) {
                    failed.setNull(3, Types.INTEGER);
                } else {
                    failed.setInt(3, outcome.status());
                }
                failed.setString(4, outcome.error());
                failed.setString(5, outcome.answer());
                failed.setLong(6, delivery.id());
                failed.executeUpdate();
            }
            log.info("webhook attempt failed delivery={} event_type={} attempts={} result={} error={}", delivery.id(), delivery.eventType(),
                    delivery.attempts(), result, outcome.error());
        } catch (SQLException e) {
            // the lease runs out and the delivery is attempted again: at least once, never lost
            log.warn("webhook outcome not recorded delivery={} error={}", delivery.id(), e.toString());
        }
    }

    private static void sleepQuietly(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running.set(false);
        senders.shutdownNow();
    }
}
