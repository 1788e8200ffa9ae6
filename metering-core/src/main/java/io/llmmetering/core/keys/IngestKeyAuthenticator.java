package io.llmmetering.core.keys;


import javax.sql.DataSource;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks ingest API keys ({@code mk_<12-char prefix>_<secret>}) against {@code ingest_api_keys}, where only the
 * SHA-256 of each key is stored. A key is found by its public prefix and compared in constant time. Lookups
 * are cached for a few seconds, which is how long a revoked key keeps working. Anyone can present a made-up
 * prefix, so prefixes not known as valid are looked up at most {@value #UNKNOWN_LOOKUPS_PER_SECOND} times a second
 * (beyond, refused without a query): a flood of them cannot take the connections the ledger needs.
 */
public final class IngestKeyAuthenticator {

    public static final Duration CACHE_TTL = Duration.ofSeconds(5);
    static final int UNKNOWN_LOOKUPS_PER_SECOND = 20;
    private static final String FIND_KEY = """
            SELECT id::text, key_hash, name, source, litellm_account FROM ingest_api_keys WHERE key_prefix = ? AND revoked_at IS NULL
            """;

    private record Cached(Optional<Stored> key, long expiresAtNanos) {
    }

    private record Stored(String id, byte[] hash, String name, String source, LiteLlmAccount liteLlmAccount) {
    }

    private final DataSource dataSource;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
    private long lookupSecond;
    private int lookupsThisSecond;

    public IngestKeyAuthenticator(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The key behind {@code presented}, if it is a valid, unrevoked key. */
    public Optional<IngestKey> authenticate(String presented) throws SQLException {
        if (presented == null || presented.length() < IngestApiKeys.PREFIX_LENGTH + 8 || presented.length() > 200 || !presented.startsWith("mk_")) {
            return Optional.empty();
        }
        String prefix = presented.substring(0, IngestApiKeys.PREFIX_LENGTH);
        Cached cached = cache.get(prefix);
        if (cached == null || cached.expiresAtNanos() < System.nanoTime()) {
            boolean knownValid = cached != null && cached.key().isPresent();
            if (!knownValid && !mayLookUpUnknownPrefix()) {
                return Optional.empty();
            }
            cached = new Cached(load(prefix), System.nanoTime() + CACHE_TTL.toNanos());
            if (cache.size() > 10_000) {
                cache.clear(); // bounded: a flood of made-up prefixes cannot grow it without limit
            }
            cache.put(prefix, cached);
        }
        return cached.key()
                .filter(stored -> MessageDigest.isEqual(stored.hash(), IngestApiKeys.sha256(presented)))
                .map(stored -> new IngestKey(stored.id(), stored.name(), stored.source(), stored.liteLlmAccount()));
    }

    private synchronized boolean mayLookUpUnknownPrefix() {
        long second = System.nanoTime() / 1_000_000_000L;
        if (second != lookupSecond) {
            lookupSecond = second;
            lookupsThisSecond = 0;
        }
        return ++lookupsThisSecond <= UNKNOWN_LOOKUPS_PER_SECOND;
    }

    private Optional<Stored> load(String prefix) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(FIND_KEY)) {
            statement.setString(1, prefix);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(new Stored(row.getString(1), row.getBytes(2), row.getString(3), row.getString(4),
                        LiteLlmAccount.named(row.getString(5)).orElseThrow()))
                        : Optional.empty();
            }
        }
    }
}
