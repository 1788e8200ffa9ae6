package io.llmmetering.creditapi.balances;

import io.lettuce.core.RedisClient;
import io.llmmetering.core.money.Credits;
import io.llmmetering.testsupport.RedisExtension;
import io.llmmetering.testsupport.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A committed balance whose cache write Redis refused (here: Redis pauses writes longer than the command timeout)
 * reaches Redis once it takes writes again, instead of the cache keeping the balance before it until its TTL.
 */
@Tag("integration")
@Tag("reliability")
@ExtendWith(RedisExtension.class)
class BalanceCacheRetriesTest {

    @Test
    void aRefusedWriteIsMadeAgainUntilRedisTakesIt(TestRedis redis) throws Exception {
        String user = "retried-" + System.nanoTime() + "@example.com";
        try (BalanceCache cache = new BalanceCache(redis.uri(), Duration.ofSeconds(60), new SimpleMeterRegistry());
             RedisClient client = RedisClient.create(redis.uri()); var admin = client.connect()) {
            BalanceCacheRetries retries = new BalanceCacheRetries(cache);
            retries.put(user, Credits.parse("10"), 1);
            assertThat(cache.get(user)).contains(Credits.parse("10"));

            admin.sync().clientPause(1_500); // every client's commands wait 1.5 s: the write below times out
            retries.put(user, Credits.parse("7"), 2);
            assertThat(retries.pendingCount()).isEqualTo(1);

            // the timed-out write may still land when the pause ends; the retry is what empties the queue
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                retries.retry();
                assertThat(cache.get(user)).contains(Credits.parse("7"));
                assertThat(retries.pendingCount()).isZero();
            });
        }
    }
}
