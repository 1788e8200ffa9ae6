package io.llmmetering.creditapi.balances;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
    /** A balance and its version ({@code user_credits.balance_version}). */
    public record Versioned(Credits balance, long version) {

        /** Of two writes waiting for the same key, the one Redis should end up with (a merge function). */
        public static Versioned newest(Versioned waiting, Versioned other) {
            return other.version() >= waiting.version() ? other : waiting;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(BalanceCache.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(500);
    /**
     * A command's timeout runs from when it is sent, so in one pipeline of a whole batch (5,000 writes) the last
     * ones waited behind all the others and timed out whenever Redis shared a busy CPU (seen in e2e runs:
     * "Command timed out after 500 millisecond(s)" for batches of 3,600-6,800 users). Chunks of one script run
     * each bound that wait.
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

    /** Writes every balance and waits for it; false (and counted) when Redis is unavailable. */
    public boolean putAll(Map<String, Versioned> balances) {
        try {
            return putAllAsync(balances).get(COMMAND_TIMEOUT.toMillis() * 5, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            writeFailures.increment(balances.size());
            return false;
        }
    }

    /**
     * Writes every balance, each only if not older than the cached one, in chunks of one script run each, and
     * returns at once: the future completes true when Redis took every chunk, false (counted) when it did not.
     */
    public CompletableFuture<Boolean> putAllAsync(Map<String, Versioned> balances) {
        if (balances.isEmpty()) {
            return CompletableFuture.completedFuture(true);
        }
        Optional<StatefulRedisConnection<String, String>> redis = connection();
        if (redis.isEmpty()) {
            writeFailures.increment(balances.size());
            return CompletableFuture.completedFuture(false);
        }
        RedisAsyncCommands<String, String> commands = redis.get().async();
        String ttl = Long.toString(ttlSeconds);
        List<CompletableFuture<Long>> chunks = new ArrayList<>();
        String[] keys = new String[2 * Math.min(PIPELINE_CHUNK, balances.size())];
        String[] values = new String[1 + keys.length];
        int filled = 0;
        int remaining = balances.size();
        try {
            for (Map.Entry<String, Versioned> entry : balances.entrySet()) {
                keys[2 * filled] = key(entry.getKey());
                keys[2 * filled + 1] = VERSION_KEY_PREFIX + entry.getKey();
                values[2 * filled + 1] = entry.getValue().balance().toString();
                values[2 * filled + 2] = Long.toString(entry.getValue().version());
                filled++;
                remaining--;
                if (filled == keys.length / 2 || remaining == 0) {
                    values[0] = ttl;
                    chunks.add(PutIfNotOlder.run(commands, Arrays.copyOf(keys, 2 * filled), Arrays.copyOf(values, 1 + 2 * filled)));
                    filled = 0;
                }
            }
        } catch (RuntimeException e) {
            writeFailures.increment(balances.size());
            log.warn("balance cache write failed users={} error={}", balances.size(), e.toString());
            return CompletableFuture.completedFuture(false);
        }
        int users = balances.size();
        return CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new))
                .orTimeout(COMMAND_TIMEOUT.toMillis() * 4, TimeUnit.MILLISECONDS)
                .handle((done, error) -> {
                    if (error != null) {
                        writeFailures.increment(users);
                        log.warn("balance cache write failed users={} error={}", users, error.toString());
                        return false;
                    }
                    return true;
                });
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

    /**
     * The server's version, when Redis answers now: the balance script needs 6.2 or later (on 6.0 every cache
     * write failed, silently, as a cache write may).
     */
    public Optional<String> serverVersion() {
        try {
            return connection().flatMap(redis -> redis.sync().info("server").lines()
                    .filter(line -> line.startsWith("redis_version:")).map(line -> line.substring("redis_version:".length()).strip()).findFirst());
        } catch (RuntimeException e) {
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
