package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The balance distribution and the accounts that need attention, as gauges for the dashboard and the
 * low-balance alert. One scan of {@code user_credits} per refresh (every minute), never per scrape.
 */
public final class AccountGauges {

    /** Balance buckets, in credits: [lower, upper) with the label the dashboard shows. */
    private static final List<String> BUCKETS = List.of("below_0", "0_to_1", "1_to_10", "10_to_100", "100_to_1000", "1000_and_more");

    private static final String DISTRIBUTION = """
            SELECT count(*) FILTER (WHERE u.balance < 0),
                   count(*) FILTER (WHERE u.balance >= 0 AND u.balance < 1),
                   count(*) FILTER (WHERE u.balance >= 1 AND u.balance < 10),
                   count(*) FILTER (WHERE u.balance >= 10 AND u.balance < 100),
                   count(*) FILTER (WHERE u.balance >= 100 AND u.balance < 1000),
                   count(*) FILTER (WHERE u.balance >= 1000),
                   count(*) FILTER (WHERE u.balance < coalesce(t.threshold, ?)),
                   count(*) FILTER (WHERE u.spend_blocked_reason IS NOT NULL),
                   count(*) FILTER (WHERE u.status <> 'active'),
                   coalesce(sum(u.held), 0)
              FROM user_credits u
              LEFT JOIN unnest(?::text[], ?::numeric[]) AS t(tier, threshold) ON t.tier = u.tier
            """;

    private final DataSource dataSource;
    private final Map<String, Credits> lowBalanceThresholds;
    private final Credits defaultLowBalance;
    private final Map<String, AtomicLong> buckets;
    private final AtomicLong lowBalance = new AtomicLong();
    private final AtomicLong spendBlocked = new AtomicLong();
    private final AtomicLong notActive = new AtomicLong();
    private final AtomicLong heldNanos = new AtomicLong();

    public AccountGauges(DataSource dataSource, Map<String, Credits> lowBalanceThresholds, Credits defaultLowBalance, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.lowBalanceThresholds = Map.copyOf(lowBalanceThresholds);
        this.defaultLowBalance = defaultLowBalance;
        this.buckets = BUCKETS.stream().collect(java.util.stream.Collectors.toUnmodifiableMap(b -> b, b -> new AtomicLong()));
        buckets.forEach((bucket, value) -> Gauge.builder("credit.accounts", value, AtomicLong::get).tag("balance", bucket)
                .description("accounts by balance").register(registry));
        Gauge.builder("credit.accounts.low_balance", lowBalance, AtomicLong::get).description("accounts below their tier's low-balance threshold")
                .register(registry);
        Gauge.builder("credit.accounts.spend_blocked", spendBlocked, AtomicLong::get).register(registry);
        Gauge.builder("credit.accounts.not_active", notActive, AtomicLong::get).register(registry);
        // a gauge is a double by Micrometer's design: the amount is shown, never computed with
        Gauge.builder("credit.holds.active.amount", heldNanos, nanos -> nanos.get() / (double) Credits.NANOS_PER_CREDIT).register(registry);
    }

    public void refresh() throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(DISTRIBUTION)) {
            query.setBigDecimal(1, defaultLowBalance.toBigDecimal());
            query.setArray(2, connection.createArrayOf("text", lowBalanceThresholds.keySet().toArray()));
            query.setArray(3, connection.createArrayOf("numeric",
                    lowBalanceThresholds.keySet().stream().map(tier -> lowBalanceThresholds.get(tier).toBigDecimal()).toArray(BigDecimal[]::new)));
            try (ResultSet row = query.executeQuery()) {
                row.next();
                for (int i = 0; i < BUCKETS.size(); i++) {
                    buckets.get(BUCKETS.get(i)).set(row.getLong(i + 1));
                }
                lowBalance.set(row.getLong(7));
                spendBlocked.set(row.getLong(8));
                notActive.set(row.getLong(9));
                heldNanos.set(Credits.ofExact(row.getBigDecimal(10)).nanos());
            }
        }
    }
}
