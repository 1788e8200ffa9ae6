package io.llmmetering.creditapi.balances;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Committed balances that Redis has not taken yet, the newest version of each user's: what both the API's cache
 * writes ({@link BalanceCacheRetries}) and the appliers' write-behind keep until a write succeeds. Rewriting is
 * safe: the cache never replaces a newer version with an older one. Bounded: in a long outage readers fall back
 * to PostgreSQL (or a cached balance expires) anyway, so past {@link #MOST} users everything waiting is dropped.
 */
public final class PendingBalances {

    /** The most balances one process keeps waiting for Redis. */
    public static final int MOST = 500_000;
    private static final Logger log = LoggerFactory.getLogger(PendingBalances.class);

    private final String owner;
    private final Map<String, BalanceCache.Versioned> waiting = new ConcurrentHashMap<>();

    /** {@code owner} names who keeps them, in the log line of a drop. */
    public PendingBalances(String owner) {
        this.owner = owner;
    }

    /** Keeps {@code balances} (the newer of two versions of a user's); false when the bound dropped everything first. */
    public boolean add(Map<String, BalanceCache.Versioned> balances) {
        boolean kept = true;
        if (waiting.size() + balances.size() > MOST) {
            log.warn("balance cache unreachable, dropping pending writes owner={} users={}", owner, waiting.size());
            waiting.clear();
            kept = false;
        }
        balances.forEach((userId, balance) -> waiting.merge(userId, balance, BalanceCache.Versioned::newest));
        return kept;
    }

    /** What waits now, to be written; {@link #written} then removes what the write carried. */
    public Map<String, BalanceCache.Versioned> snapshot() {
        return new HashMap<>(waiting);
    }

    /** Redis took {@code balances}: they stop waiting, unless a newer version arrived meanwhile. */
    public void written(Map<String, BalanceCache.Versioned> balances) {
        balances.forEach(waiting::remove);
    }

    public boolean isEmpty() {
        return waiting.isEmpty();
    }

    public int size() {
        return waiting.size();
    }
}
