package io.llmmetering.testsupport;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@ExtendWith({PostgresDatabaseExtension.class, RedisExtension.class, KafkaBrokerExtension.class})
class FixturesTest {

    @Test
    void eachTestClassGetsItsOwnEmptyDatabase(TestDatabase database) throws Exception {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_database(), count(*) FROM pg_tables WHERE schemaname = 'public' GROUP BY 1")) {
            assertThat(database.name()).startsWith("t_fixturestest_");
            assertThat(rows.next()).isFalse();
        }
    }

    @Test
    void redisDatabaseIsIsolatedFromDatabaseZero(TestRedis redis) {
        assertThat(redis.database()).isBetween(1, 15);
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().set("credits:balance:fixture@example.com", "1.5");
            assertThat(connection.sync().get("credits:balance:fixture@example.com")).isEqualTo("1.5");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void brokerIsARealKraftBroker(EmbeddedKafkaBroker broker) throws Exception {
        try (Admin admin = broker.admin()) {
            assertThat(admin.describeCluster().nodes().get()).hasSize(1);
            assertThat(admin.describeMetadataQuorum().quorumInfo().get().leaderId()).isEqualTo(1);
        }
    }
}
