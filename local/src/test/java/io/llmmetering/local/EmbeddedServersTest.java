package io.llmmetering.local;

import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The servers the launcher starts from jars when none answers locally. */
@Tag("integration")
class EmbeddedServersTest {

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Test
    void anEmbeddedRedisAnswersOnTheConfiguredPortAndStops() throws Exception {
        int port = FreePorts.one();
        URI uri = URI.create("redis://127.0.0.1:" + port + "/0");
        assertThat(EmbeddedServers.reachable("127.0.0.1", port)).isFalse();
        EmbeddedServers.Started redis = EmbeddedServers.redis(uri);
        try (RedisClient client = RedisClient.create(uri.toString()); var connection = client.connect()) {
            assertThat(connection.sync().ping()).isEqualTo("PONG");
        } finally {
            redis.stop().close();
        }
        assertThat(EmbeddedServers.reachable("127.0.0.1", port)).isFalse();
    }

    @Test
    void anEmbeddedPostgresKeepsItsDataUnderTheDataDirectory(@TempDir Path dataDir) throws Exception {
        assumeFalse(root(), "PostgreSQL's initdb refuses to run as root");
        int port = FreePorts.one();
        EmbeddedServers.Started postgres = EmbeddedServers.postgres(URI.create("postgresql://127.0.0.1:" + port + "/metering"), dataDir);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
             ResultSet row = c.createStatement().executeQuery("SELECT 1")) {
            assertThat(row.next()).isTrue();
        } finally {
            postgres.stop().close();
        }
        assertThat(dataDir.resolve("postgres").resolve("PG_VERSION")).exists();
    }

    @Test
    void asRootTheLauncherExplainsWhyItCannotEmbedPostgres(@TempDir Path dataDir) {
        assumeTrue(root());
        assertThatThrownBy(() -> EmbeddedServers.postgres(URI.create("postgresql://127.0.0.1:5999/metering"), dataDir))
                .hasMessageContaining("cannot run as root").hasMessageContaining("--db-url");
    }

    @Test
    void onlyLocalAddressesAreReplaced() {
        assertThat(EmbeddedServers.isLocal("127.0.0.1")).isTrue();
        assertThat(EmbeddedServers.isLocal("localhost")).isTrue();
        assertThat(EmbeddedServers.isLocal("db.internal")).isFalse();
        assertThat(EmbeddedServers.isLocal(null)).isFalse();
    }
}
