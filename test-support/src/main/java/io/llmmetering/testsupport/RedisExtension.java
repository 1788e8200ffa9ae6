package io.llmmetering.testsupport;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gives each test class its own logical database (1-15) on the local Redis (127.0.0.1:6379; override with
 * TEST_REDIS_HOST, TEST_REDIS_PORT), flushed before and after the class. Database 0, where a developer's
 * local run keeps its cache, is never touched. Keys keep their production names
 * ({@code credits:balance:{user_id}}), so tests check exactly what operators will see.
 */
public final class RedisExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RedisExtension.class);
    private static final AtomicInteger NEXT_DATABASE = new AtomicInteger();

    @Override
    public void beforeAll(ExtensionContext context) {
        String host = System.getenv().getOrDefault("TEST_REDIS_HOST", "127.0.0.1");
        int port = Integer.parseInt(System.getenv().getOrDefault("TEST_REDIS_PORT", "6379"));
        TestRedis redis = new TestRedis(host, port, 1 + NEXT_DATABASE.getAndIncrement() % 15);
        flush(redis);
        context.getStore(NAMESPACE).put(TestRedis.class, redis);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestRedis redis = context.getStore(NAMESPACE).remove(TestRedis.class, TestRedis.class);
        if (redis != null) {
            flush(redis);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestRedis.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        TestRedis redis = context.getStore(NAMESPACE).get(TestRedis.class, TestRedis.class);
        if (redis == null) {
            throw new IllegalStateException("no test Redis: register RedisExtension on the test class");
        }
        return redis;
    }

    private static void flush(TestRedis redis) {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().flushdb();
        } finally {
            client.shutdown();
        }
    }
}
