package io.llmmetering.creditapi.balances;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.llmmetering.core.money.Credits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Balances in Redis under {@code credits:balance:{user_id}} with a TTL, as plain decimal text. A cache only:
 * written after the PostgreSQL commit, and every failure is counted and swallowed, so a Redis outage makes
 * reads slower and never makes anything fail. Commands time out quickly and are rejected at once while
 * disconnected, so an outage never stalls the applier.
 *
 * <p>Writers commit in one order and reach Redis in another (two API requests, the applier, a reader filling a
 * miss), so each write carries the balance's version from PostgreSQL and a script stores it only if it is not
 * older than what Redis holds ({@code credits:balance-version:{user_id}}, same TTL): the cache never goes back
 * to an older balance.
 */
public final class BalanceCache implements AutoCloseable {

    public static final String KEY_PREFIX = "credits:balance:";
    public static final String VERSION_KEY_PREFIX = "credits:balance-version:";
    /** KEYS: balance, version. ARGV: balance, version, ttl seconds. Returns 1 when stored, 0 when an newer one is there. */
    private static final String PUT_IF_NOT_OLDER = """
            local current = redis.call('GET', KEYS[2])
            if current and tonumber(current) > tonumber(ARGV[2]) then return 0 end
            redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
            redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
            return 1
            """;

    /** A balance and its version ({@code user_credits.balance_version}). */
    public record Versioned(Credits balance, long version) {
    }
    private static final Logger log = LoggerFactory.getLogger(BalanceCache.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(500);
    /**
     * A command's timeout runs from when it is sent, so in one pipeline of a whole batch (5,000 writes) the last
     * ones waited behind all the others and timed out whenever Redis shared a busy CPU (seen in e2e runs:
     * "Command timed out after 500 millisecond(s)" for batches of 3,600-6,800 users). Chunks bound that wait.
     */
    private static final int PIPELINE_CHUNK = 500;
    private static final Duration RECONNECT_INTERVAL = Duration.ofSeconds(5);

    private final RedisClient client;
    private final long ttlSeconds;
    private final Counter writeFailures;
    private final Counter readFailures;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile long nextConnectAttemptNanos;

    public BalanceCache(String redisUri, Duration ttl, MeterRegistry registry) {
        RedisURI uri = RedisURI.create(redisUri);
        uri.setTimeout(COMMAND_TIMEOUT);
        this.client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                .build());
        this.ttlSeconds = ttl.toSeconds();
        this.writeFailures = Counter.builder("credit.cache.write.failures").description("balance cache writes that failed").register(registry);
        this.readFailures = Counter.builder("credit.cache.read.failures").description("balance cache reads that failed").register(registry);
    }

    public static String key(String userId) {
        return KEY_PREFIX + userId;
    }

    /** Writes every balance, pipelined in chunks, each only if not older than the cached one; false (and counted) when Redis is unavailable. */
    public boolean putAll(Map<String, Versioned> balances) {
        if (balances.isEmpty()) {
            return true;
        }
        Optional<StatefulRedisConnection<String, String>> redis = connection();
        if (redis.isEmpty()) {
            writeFailures.increment(balances.size());
            return false;
        }
        RedisAsyncCommands<String, String> commands = redis.get().async();
        String ttl = Long.toString(ttlSeconds);
        List<Map.Entry<String, Versioned>> entries = List.copyOf(balances.entrySet());
        for (int from = 0; from < entries.size(); from += PIPELINE_CHUNK) {
            List<Map.Entry<String, Versioned>> chunk = entries.subList(from, Math.min(entries.size(), from + PIPELINE_CHUNK));
            try {
                List<RedisFuture<Long>> writes = new ArrayList<>(chunk.size());
                chunk.forEach(entry -> writes.add(commands.eval(PUT_IF_NOT_OLDER, ScriptOutputType.INTEGER,
                        new String[]{key(entry.getKey()), VERSION_KEY_PREFIX + entry.getKey()},
                        entry.getValue().balance().toString(), Long.toString(entry.getValue().version()), ttl)));
                if (!LettuceFutures.awaitAll(COMMAND_TIMEOUT.toMillis() * 4, TimeUnit.MILLISECONDS, writes.toArray(RedisFuture[]::new))) {
                    writeFailures.increment(entries.size() - from);
                    return false;
                }
            } catch (RuntimeException e) {
                writeFailures.increment(entries.size() - from);
                log.warn("balance cache write failed users={} error={}", entries.size() - from, e.toString());
                return false;
            }
        }
        return true;
    }

    public boolean put(String userId, Credits balance, long version) {
        return putAll(Map.of(userId, new Versioned(balance, version)));
    }

    /** The cached balance; empty on a miss and on any Redis failure. */
    public Optional<Credits> get(String userId) {
        Optional<StatefulRedisConnection<String, String>> redis = connection();
        if (redis.isEmpty()) {
            readFailures.increment();
            return Optional.empty();
        }
        try {
            String value = redis.get().sync().get(key(userId));
            return value == null ? Optional.empty() : Optional.of(Credits.parse(value));
        } catch (RuntimeException e) {
            readFailures.increment();
            log.debug("balance cache read failed error={}", e.toString());
            return Optional.empty();
        }
    }

    /** True when Redis answers a PING now. */
    public boolean ping() {
        Optional<StatefulRedisConnection<String, String>> redis = connection();
        try {
            return redis.isPresent() && "PONG".equals(redis.get().sync().ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private Optional<StatefulRedisConnection<String, String>> connection() {
        StatefulRedisConnection<String, String> current = connection;
        if (current != null) {
            return Optional.of(current);
        }
        synchronized (this) {
            if (connection == null && System.nanoTime() >= nextConnectAttemptNanos) {
                try {
                    connection = client.connect();
                } catch (RuntimeException e) {
                    nextConnectAttemptNanos = System.nanoTime() + RECONNECT_INTERVAL.toNanos();
                    log.warn("redis unavailable, balances served from PostgreSQL; retrying in {} error={}", RECONNECT_INTERVAL, e.toString());
                }
            }
            return Optional.ofNullable(connection);
        }
    }

    @Override
    public void close() {
        StatefulRedisConnection<String, String> current = connection;
        if (current != null) {
            current.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
