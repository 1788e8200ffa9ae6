package io.llmmetering.creditapi.balances;

import io.lettuce.core.RedisClient;
import io.llmmetering.core.money.Credits;
import io.llmmetering.testsupport.RedisExtension;
import io.llmmetering.testsupport.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Cache writes that arrive out of commit order never take a balance back to an older value. */
@Tag("integration")
@ExtendWith(RedisExtension.class)
class BalanceCacheTest {

    @Test
    void anOlderBalanceArrivingLateDoesNotReplaceANewerOne(TestRedis redis) {
        try (BalanceCache cache = new BalanceCache(redis.uri(), Duration.ofSeconds(60), new SimpleMeterRegistry())) {
            cache.put("u1", Credits.parse("40"), 7);
            cache.put("u1", Credits.parse("50"), 6); // the write of the commit before, delivered last
            assertThat(cache.get("u1")).contains(Credits.parse("40"));
            cache.putAll(Map.of("u1", new BalanceCache.Versioned(Credits.parse("30"), 8), "u2", new BalanceCache.Versioned(Credits.ZERO, 0)));
            assertThat(cache.get("u1")).contains(Credits.parse("30"));
            assertThat(cache.get("u2")).contains(Credits.ZERO);
            cache.put("u1", Credits.parse("30"), 8); // the same version again refreshes the TTL
            assertThat(cache.get("u1")).contains(Credits.parse("30"));
        }
    }

    @Test
    void theBalanceKeyHoldsPlainDecimalTextWithTheTtlAndItsVersionBesideIt(TestRedis redis) {
        try (BalanceCache cache = new BalanceCache(redis.uri(), Duration.ofSeconds(60), new SimpleMeterRegistry());
             RedisClient client = RedisClient.create(redis.uri()); var connection = client.connect()) {
            cache.put("test@example.com", Credits.parse("0.00375"), 3);
            assertThat(connection.sync().get("credits:balance:test@example.com")).isEqualTo("0.00375");
            assertThat(connection.sync().ttl("credits:balance:test@example.com")).isBetween(1L, 60L);
            assertThat(connection.sync().get("credits:balance-version:test@example.com")).isEqualTo("3");
        }
    }

    @Test
    void aWholeBatchOfBalancesIsWrittenInChunksAndEveryOneLands(TestRedis redis) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BalanceCache cache = new BalanceCache(redis.uri(), Duration.ofSeconds(60), registry)) {
            Map<String, BalanceCache.Versioned> batch = new java.util.HashMap<>();
            for (int i = 0; i < 5_001; i++) {
                batch.put("chunked-" + i, new BalanceCache.Versioned(Credits.ofNanos(1_000_000_007L * i), i));
            }
            assertThat(cache.putAll(batch)).isTrue();
            for (int i = 0; i < 5_001; i += 250) {
                assertThat(cache.get("chunked-" + i)).contains(Credits.ofNanos(1_000_000_007L * i));
            }
            assertThat(cache.get("chunked-5000")).contains(Credits.ofNanos(1_000_000_007L * 5_000));
            assertThat(registry.counter("credit.cache.write.failures").count()).isZero();
        }
    }

    @Test
    void withRedisUnreachableWritesAndReadsFailQuietly() {
        try (BalanceCache cache = new BalanceCache("redis://127.0.0.1:1/0", Duration.ofSeconds(60), new SimpleMeterRegistry())) {
            assertThat(cache.put("u1", Credits.ofWhole(1), 1)).isFalse();
            assertThat(cache.get("u1")).isEmpty();
            assertThat(cache.ping()).isFalse();
        }
    }
}
