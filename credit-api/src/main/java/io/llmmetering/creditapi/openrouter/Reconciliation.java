package io.llmmetering.creditapi.openrouter;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.schemas.CreditAlert;

import javax.sql.DataSource;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Compares what OpenRouter reports with our ledger, per registered account, for events with provider
 * {@code openrouter} in [from, to): each of our events is looked up by its id (the proxy uses the generation id
 * as the event id) and its cost compared, before our tier markup and power multiplier, with the provider's;
 * the provider's daily activity per model is compared with our counts to find calls we never metered. A user
 * with any mismatch gets a {@code reconciliation_mismatch} alert.
 */
public final class Reconciliation {

    /** A difference at or below this share of the provider's cost (or one micro-credit) is rounding, not a mismatch. */
    static final BigDecimal TOLERANCE_SHARE = new BigDecimal("0.01");
    static final BigDecimal TOLERANCE_FLOOR = new BigDecimal("0.000001");
    static final int MAX_EVENTS_PER_ACCOUNT = 10_000;
    static final int MAX_DAYS = 31;

    private static final String EVENTS = """
            SELECT event_id, occurred_at, model, cost, tier, power_level FROM usage_events
             WHERE user_id = ? AND provider = 'openrouter' AND occurred_at >= ? AND occurred_at < ?
             ORDER BY occurred_at LIMIT ?
            """;

    private final DataSource dataSource;
    private final OpenRouterAccounts accounts;
    private final OpenRouterClient client;
    private final Supplier<PriceBook> priceBook;
    private final AlertSink alerts;

    @FunctionalInterface
    public interface AlertSink {
        void publish(CreditAlert alert) throws Exception;
    }

    public Reconciliation(DataSource dataSource, OpenRouterAccounts accounts, OpenRouterClient client, Supplier<PriceBook> priceBook,
                          AlertSink alerts) {
        this.dataSource = dataSource;
        this.accounts = accounts;
        this.client = client;
        this.priceBook = priceBook;
        this.alerts = alerts;
    }

    public record CostMismatch(String userId, String requestId, String model, Credits ourCost, BigDecimal ourBaseCost, BigDecimal providerCost) {
    }

    public record Missing(String userId, String requestId) {
    }

    public record Unmetered(String userId, LocalDate date, String model, long providerRequests, long ourRequests) {
    }

    public record Report(Instant from, Instant to, int accounts, int eventsChecked, int matched, List<CostMismatch> costMismatches,
                         List<Missing> missingAtProvider, List<Unmetered> missingInLedger, List<String> errors, boolean truncated) {
    }

    private record OurEvent(String id, LocalDate day, String model, Credits cost, String tier, String powerLevel) {
    }

    public Report run(Instant from, Instant to) throws SQLException {
        if (!from.isBefore(to) || LocalDate.ofInstant(from, ZoneOffset.UTC).plusDays(MAX_DAYS).isBefore(LocalDate.ofInstant(to, ZoneOffset.UTC))) {
            throw new IllegalArgumentException("from must be before to, at most " + MAX_DAYS + " days apart");
        }
        List<OpenRouterAccounts.Credential> credentials = accounts.activeCredentials();
        List<CostMismatch> mismatches = new ArrayList<>();
        List<Missing> missing = new ArrayList<>();
        List<Unmetered> unmetered = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        int checked = 0;
        int matched = 0;
        boolean truncated = false;
        PriceBook book = priceBook.get();
        for (OpenRouterAccounts.Credential credential : credentials) {
            List<OurEvent> events = events(credential.userId(), from, to);
            truncated |= events.size() == MAX_EVENTS_PER_ACCOUNT;
            int problemsBefore = mismatches.size() + missing.size() + unmetered.size();
            try {
                for (OurEvent event : events) {
                    checked++;
                    var reported = client.generation(credential.apiKey(), event.id());
                    if (reported.isEmpty()) {
                        missing.add(new Missing(credential.userId(), event.id()));
                        continue;
                    }
                    BigDecimal base = baseCost(book, event);
                    BigDecimal provider = reported.get().totalCost();
                    if (base.subtract(provider).abs().compareTo(TOLERANCE_FLOOR.max(provider.abs().multiply(TOLERANCE_SHARE))) > 0) {
                        mismatches.add(new CostMismatch(credential.userId(), event.id(), event.model(), event.cost(), base, provider));
                    } else {
                        matched++;
                    }
                }
                BigDecimal reportedUsage = BigDecimal.ZERO;
                Map<String, Long> ours = new HashMap<>();
                events.forEach(event -> ours.merge(event.day() + "|" + modelKey(event.model()), 1L, Long::sum));
                for (LocalDate day = LocalDate.ofInstant(from, ZoneOffset.UTC); !day.isAfter(LocalDate.ofInstant(to.minusNanos(1), ZoneOffset.UTC));
                     day = day.plusDays(1)) {
                    for (OpenRouterClient.ActivityRow row : client.activity(credential.apiKey(), day)) {
                        reportedUsage = reportedUsage.add(row.usage());
                        long ourCount = ours.getOrDefault(row.date() + "|" + modelKey(row.model()), 0L);
                        if (row.requests() > ourCount) {
                            unmetered.add(new Unmetered(credential.userId(), row.date(), row.model(), row.requests(), ourCount));
                        }
                    }
                }
                accounts.recordSync(credential.userId(), Credits.of(reportedUsage, RoundingMode.HALF_EVEN));
            } catch (IOException e) {
                errors.add(credential.userId() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                errors.add(credential.userId() + ": interrupted");
                break;
            }
            int problems = mismatches.size() + missing.size() + unmetered.size() - problemsBefore;
            if (problems > 0) {
                alert(credential.userId(), problems, from, to);
            }
        }
        return new Report(from, to, credentials.size(), checked, matched, mismatches, missing, unmetered, errors, truncated);
    }

    /** Our cost before the tier markup and power multiplier: what the provider's list price should have come to. */
    static BigDecimal baseCost(PriceBook book, OurEvent event) {
        BigDecimal multipliers = book.tier(event.tier()).multiplier().multiply(book.powerLevel(event.powerLevel()).multiplier());
        return event.cost().toBigDecimal().divide(multipliers, MathContext.DECIMAL64).setScale(Credits.SCALE, RoundingMode.HALF_EVEN);
    }

    /** OpenRouter names models {@code vendor/model}; proxies often send only the model. */
    static String modelKey(String model) {
        int slash = model.lastIndexOf('/');
        return (slash >= 0 ? model.substring(slash + 1) : model).toLowerCase(Locale.ROOT);
    }

    private List<OurEvent> events(String userId, Instant from, Instant to) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(EVENTS)) {
            query.setString(1, userId);
            query.setTimestamp(2, Timestamp.from(from));
            query.setTimestamp(3, Timestamp.from(to));
            query.setInt(4, MAX_EVENTS_PER_ACCOUNT);
            List<OurEvent> events = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    events.add(new OurEvent(row.getString(1), LocalDate.ofInstant(row.getTimestamp(2).toInstant(), ZoneOffset.UTC), row.getString(3),
                            Credits.ofExact(row.getBigDecimal(4)), row.getString(5), row.getString(6)));
                }
            }
            return events;
        }
    }

    private void alert(String userId, int problems, Instant from, Instant to) {
        CreditAlert alert = CreditAlert.newBuilder()
                .setAlertId("reconciliation:" + userId + ":" + from + ":" + to)
                .setUserId(userId).setKind("reconciliation_mismatch").setSeverity("warning")
                .setObservedNanos(problems).setThresholdNanos(0)
                .setWindowStart(from).setWindowEnd(to)
                .setMessage(problems + " difference(s) between OpenRouter's reported usage and the ledger")
                .setEmittedAt(Instant.now()).build();
        try {
            alerts.publish(alert);
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(Reconciliation.class).warn("reconciliation alert not published user={} error={}", userId, e.toString());
        }
    }
}
