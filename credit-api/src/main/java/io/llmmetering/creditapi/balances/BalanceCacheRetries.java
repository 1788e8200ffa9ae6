package io.llmmetering.creditapi.balances;

import io.llmmetering.core.money.Credits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Cache writes of committed balance changes (allocations, deducts, redemptions) that Redis refused, written
 * again at each {@link #retry()} (every second, on the service's schedule), the newest version of each user's
 * balance, until Redis takes them. Without this
 * a write lost to a Redis hiccup left the cached balance behind the ledger until its TTL. Rewriting is safe:
 * the cache never replaces a newer version with an older one.
 */
public final class BalanceCacheRetries {

    private static final Logger log = LoggerFactory.getLogger(BalanceCacheRetries.class);

    private final BalanceCache cache;
    private final PendingBalances pending = new PendingBalances("api");

    public BalanceCacheRetries(BalanceCache cache) {
        this.cache = cache;
    }

    /** Writes the balance now and, if Redis refuses it, again until it takes it. */
    public void put(String userId, Credits balance, long version) {
        putAll(Map.of(userId, new BalanceCache.Versioned(balance, version)));
    }

    /** Writes the balances now, with one script run per chunk, and whatever Redis refuses again until it takes it. */
    public void putAll(Map<String, BalanceCache.Versioned> balances) {
        if (!cache.putAll(balances)) {
            pending.add(balances);
        }
    }

    /** Balances waiting for Redis now. */
    public int pendingCount() {
        return pending.size();
    }

    /** Writes what waits again; whatever Redis refuses still waits. */
    public void retry() {
        if (pending.isEmpty()) {
            return;
        }
        Map<String, BalanceCache.Versioned> attempt = pending.snapshot();
        try {
            if (cache.putAll(attempt)) {
                pending.written(attempt);
            }
        } catch (RuntimeException e) {
            log.warn("balance cache retry failed users={} error={}", attempt.size(), e.toString());
        }
    }
}
