package io.llmmetering.bench;

import io.llmmetering.local.FreePorts;
import io.llmmetering.local.LocalLauncher;
import io.llmmetering.local.LocalSettings;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;

/**
 * The local system (in-JVM broker, topology, credit-api, usage-ingest) on free ports, a fresh database of its
 * own and a temporary data directory, all removed again on close: what every benchmark command measures. Part
 * of a command-line tool: what it cannot clean up is said on stdout.
 */
final class BenchSystem implements AutoCloseable {

    final LocalSettings settings;
    final Path dataDir;
    final String ingestKey;
    private final BenchOptions options;
    private final String database;
    private final LocalLauncher launcher = new LocalLauncher();
    private final HttpClient http = HttpClient.newHttpClient();

    BenchSystem(BenchOptions options, String database) throws Exception {
        this.options = options;
        this.database = database;
        this.dataDir = Files.createTempDirectory("metering-bench-");
        int kafkaPort = FreePorts.pair();
        this.settings = new LocalSettings(dataDir, kafkaPort, kafkaPort + 1, FreePorts.one(), FreePorts.one(),
                options.databaseBase() + database, options.databaseUser(), options.redisUrl(), false, 0, java.util.Optional.empty());
        String key;
        try {
            key = launcher.start(settings);
        } catch (Exception e) {
            close();
            throw e;
        }
        this.ingestKey = key;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(settings.databaseUrl(), settings.databaseUser(), options.databasePassword());
    }

    /** credit-api's meters: the applier's counters. */
    io.micrometer.core.instrument.MeterRegistry creditApiMeters() {
        return launcher.creditApi().getBean(io.micrometer.core.instrument.MeterRegistry.class);
    }

    String apiUrl() {
        return "http://127.0.0.1:" + settings.apiPort();
    }

    String ingestUrl() {
        return "http://127.0.0.1:" + settings.ingestPort();
    }

    String creditApiMetrics() throws IOException, InterruptedException {
        return metrics(launcher.creditApiMetricsUrl());
    }

    String ingestMetrics() throws IOException, InterruptedException {
        return metrics(launcher.ingestMetricsUrl());
    }

    private String metrics(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Override
    public void close() {
        launcher.stop();
        try (Connection c = DriverManager.getConnection(options.databaseBase() + "postgres", options.databaseUser(), options.databasePassword());
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            System.out.println("[bench] could not drop database " + database + ": " + e.getMessage());
        }
        try (Stream<Path> paths = Files.walk(dataDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (Exception e) {
            // a temporary directory: the operating system cleans up what is left
        }
    }
}
