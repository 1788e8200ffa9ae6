package io.llmmetering.creditapi.applier;

import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.PendingBalances;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One applier's committed balances on their way to Redis, and the ledger's notes of them
 * ({@code applier_cache_pending}): a batch's balances wait here after its commit and are written without holding
 * up the next batch; a note is confirmed once Redis took its balances and deleted by the next batch (or when
 * idle). Notes nobody confirmed (an applier died between commit and write, or Redis was away) are read back from
 * PostgreSQL at partition assignment and their balances written again. Used by the applier's thread only.
 */
final class BalanceWriteBehind {

    private static final Logger log = LoggerFactory.getLogger(BalanceWriteBehind.class);
    private static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

    private final BalanceCache cache;
    private final CacheNotes notes;
    private final PendingBalances unwritten = new PendingBalances("applier");
    private CompletableFuture<Boolean> write;
    private Map<String, BalanceCache.Versioned> writing = Map.of();
    private final List<Long> unwrittenNotes = new ArrayList<>();
    private boolean notesUnread;
    private List<Long> writingNotes = List.of();
    private final List<Long> confirmedNotes = new ArrayList<>();
    private long nextRetryNanos;

    BalanceWriteBehind(BalanceCache cache, CacheNotes notes) {
        this.cache = cache;
        this.notes = notes;
    }

    /** The notes whose balances Redis took: the next batch deletes them in its own transaction. */
    List<Long> confirmedNotes() {
        return List.copyOf(confirmedNotes);
    }

    /** A batch committed: it deleted the confirmed notes and wrote its own note; its balances wait for Redis. */
    void committed(AppliedBatch batch) {
        if (batch.cachePendingId() != 0) {
            confirmedNotes.clear();
            unwrittenNotes.add(batch.cachePendingId());
        }
        Map<String, BalanceCache.Versioned> balances = new HashMap<>(batch.changes().size() * 2);
        batch.changes().forEach(change -> balances.put(change.userId(), new BalanceCache.Versioned(change.balanceAfter(), change.balanceVersion())));
        keep(balances);
        writeWhenDue();
    }

    /**
     * Sends the balances waiting for Redis, unless a write is still in flight (they go with the next one) or
     * Redis failed less than a second ago. The write does not hold up the next batch: the loop looks at its
     * outcome on its next turn. Balances whose write failed wait again (the newest version of each) and are
     * written until Redis takes them: otherwise a user with no further debits kept a stale cached balance until
     * its TTL, as a process check found after a crash. Rewriting is safe: the cache never replaces a newer
     * version with an older one.
     */
    void writeWhenDue() {
        if (write != null) {
            if (!write.isDone()) {
                return;
            }
            if (write.join()) {
                confirmedNotes.addAll(writingNotes);
            } else {
                unwrittenNotes.addAll(writingNotes);
                keep(writing);
                nextRetryNanos = System.nanoTime() + RETRY_INTERVAL.toNanos();
            }
            write = null;
            writing = Map.of();
            writingNotes = List.of();
        }
        if (unwritten.isEmpty() || System.nanoTime() < nextRetryNanos) {
            return;
        }
        writing = unwritten.snapshot();
        unwritten.written(writing);
        writingNotes = List.copyOf(unwrittenNotes);
        unwrittenNotes.clear();
        write = cache.putAllAsync(writing);
    }

    /** Bookkeeping no batch is waiting for: notes nobody could read at assignment, confirmed notes. */
    void whenIdle() {
        if (notesUnread) {
            refreshUnconfirmed();
        }
        if (!confirmedNotes.isEmpty() && write == null) {
            try {
                notes.forget(List.copyOf(confirmedNotes));
                confirmedNotes.clear();
            } catch (SQLException e) {
                log.debug("confirmed cache notes kept for the next batch error={}", e.toString());
            }
        }
    }

    /**
     * The balances of batches whose cache writes were never confirmed are read from PostgreSQL and join the
     * balances waiting for Redis, with their notes: written at once and, while Redis refuses, again every second,
     * as the applier's own; the notes go once Redis took them. Rewriting a balance another applier is still
     * writing is harmless: the cache keeps the newest version. A database that cannot be read now is asked again
     * when the applier is next idle.
     */
    void refreshUnconfirmed() {
        try {
            List<CacheNotes.Note> unconfirmed = notes.unconfirmed();
            notesUnread = false;
            if (unconfirmed.isEmpty()) {
                return;
            }
            Set<String> users = new HashSet<>();
            unconfirmed.forEach(note -> users.addAll(note.userIds()));
            unconfirmed.forEach(note -> unwrittenNotes.add(note.id()));
            keep(notes.balancesOf(users));
            nextRetryNanos = System.nanoTime();
            log.info("unconfirmed cached balances to refresh batches={} users={}", unconfirmed.size(), users.size());
            writeWhenDue();
        } catch (SQLException e) {
            notesUnread = true;
            log.warn("unconfirmed cached balances not read, asked again when idle error={}", e.toString());
        }
    }

    /** On the way out: the balances already committed reach Redis if it answers soon. */
    void flushOnShutdown() {
        if (write != null) {
            try {
                write.get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("balance cache write unfinished at shutdown users={}", writing.size());
            }
        }
        if (!unwritten.isEmpty()) {
            cache.putAll(unwritten.snapshot());
        }
    }

    /**
     * Balances join those waiting for Redis. When the bound drops what waited (a long outage), the ledger's notes
     * of them stay in PostgreSQL and are read again when the applier is idle, or by the next owner of the partitions.
     */
    private void keep(Map<String, BalanceCache.Versioned> balances) {
        if (!unwritten.add(balances)) {
            unwrittenNotes.clear();
            notesUnread = true;
        }
    }
}
