package io.llmmetering.creditapi.balances;

import io.llmmetering.core.money.Credits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Cache writes of committed balance changes (allocations, deducts, redemptions) that Redis refused, written
 * again every {@code interval}, the newest version of each user's balance, until Redis takes them. Without this
 * a write lost to a Redis hiccup left the cached balance behind the ledger until its TTL. Rewriting is safe:
 * the cache never replaces a newer version with an older one.
 */
public final class BalanceCacheRetries implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BalanceCacheRetries.class);
    private static final int MAX_PENDING = 100_000;

    private final BalanceCache cache;
    private final Map<String, BalanceCache.Versioned> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "balance-cache-retries");
        thread.setDaemon(true);
        return thread;
    });

    public BalanceCacheRetries(BalanceCache cache, Duration interval) {
        this.cache = cache;
        retries.scheduleWithFixedDelay(this::retryPending, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Writes the balance now and, if Redis refuses it, again until it takes it. */
    public void put(String userId, Credits balance, long version) {
        putAll(Map.of(userId, new BalanceCache.Versioned(balance, version)));
    }

    /** Writes the balances now, with one script run per chunk, and whatever Redis refuses again until it takes it. */
    public void putAll(Map<String, BalanceCache.Versioned> balances) {
        if (!cache.putAll(balances)) {
            if (pending.size() >= MAX_PENDING) {
                // a long outage: readers fall back to PostgreSQL anyway; keep memory bounded
                log.warn("balance cache unreachable, dropping pending writes users={}", pending.size());
                pending.clear();
            }
            balances.forEach((userId, balance) -> pending.merge(userId, balance, BalanceCache.Versioned::newest));
        }
    }

    /** Balances waiting for Redis now. */
    public int pendingCount() {
        return pending.size();
    }

    void retryPending() {
        if (pending.isEmpty()) {
            return;
        }
        Map<String, BalanceCache.Versioned> attempt = new HashMap<>(pending);
        try {
            if (cache.putAll(attempt)) {
                // only what was written: a newer version that arrived meanwhile stays for the next turn
                attempt.forEach(pending::remove);
            }
        } catch (RuntimeException e) {
            log.warn("balance cache retry failed users={} error={}", attempt.size(), e.toString());
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
