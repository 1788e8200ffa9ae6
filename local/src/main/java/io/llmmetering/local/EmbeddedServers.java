package io.llmmetering.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * PostgreSQL and Redis for a machine that has neither: when the configured local address does not answer,
 * the launcher starts the binaries that Maven Central ships inside jars (zonky's embedded PostgreSQL, keeping
 * its data under the data directory; an embedded redis-server) on that same port. Remote addresses are never
 * replaced: an unreachable remote server is an error to report, not to paper over.
 */
final class EmbeddedServers {

    private static final Set<String> LOCAL_HOSTS = Set.of("127.0.0.1", "localhost", "::1", "[::1]");

    private EmbeddedServers() {
    }

    record Started(String description, AutoCloseable stop) {
    }

    static boolean reachable(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean isLocal(String host) {
        return host != null && LOCAL_HOSTS.contains(host);
    }

    /** Starts Redis on the URI's port. */
    static Started redis(URI redis) throws IOException {
        int port = redis.getPort() < 0 ? 6379 : redis.getPort();
        RedisServer server = new RedisServer(port);
        server.start();
        return new Started("embedded redis-server on 127.0.0.1:" + port + " (nothing kept on disk)", server::stop);
    }

    /**
     * Starts PostgreSQL on the JDBC URL's port with its data in {@code dataDir/postgres}, kept across restarts.
     * PostgreSQL's initdb refuses to run as root, so as root this explains instead of failing obscurely.
     */
    static Started postgres(URI database, Path dataDir) throws IOException {
        if ("root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("PostgreSQL is not reachable, and the embedded one cannot run as root (initdb refuses): "
                    + "start a PostgreSQL server, pass --db-url, or run the launcher as a regular user");
        }
        int port = database.getPort() < 0 ? 5432 : database.getPort();
        Path directory = dataDir.resolve("postgres");
        Files.createDirectories(directory);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().setPort(port).setDataDirectory(directory).setCleanDataDirectory(false).start();
        return new Started("embedded PostgreSQL 14 on 127.0.0.1:" + port + ", data in " + directory, postgres::close);
    }
}
