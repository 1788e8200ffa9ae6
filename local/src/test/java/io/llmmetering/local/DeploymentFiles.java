package io.llmmetering.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The deployment files at the repository's root, as tests read them (surefire runs in the module directory). */
final class DeploymentFiles {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
    static final Path PROMETHEUS = ROOT.resolve("deploy/prometheus/prometheus.yml");
    static final Path ALERTS = ROOT.resolve("deploy/prometheus/alerts.yml");
    static final Path DASHBOARD = ROOT.resolve("deploy/grafana/dashboards/llm-metering.json");
    static final Path DATASOURCES = ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml");

    /** Our services' metric names (and the Kafka client and HTTP server ones) that a query uses. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:credit|ingest|kafka_consumer|http_server_requests)_[a-z_]+)\\b");

    private DeploymentFiles() {
    }

    static String read(Path file) throws IOException {
        return Files.readString(file);
    }

    /** The prefix of the topology's own metrics (metering-streams' Kafka Streams sensors). */
    static final String TOPOLOGY_METRICS = "kafka_stream_";

    /** Every metric the alert rules and the dashboard query. */
    static Set<String> referencedMetrics() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path file : new Path[]{ALERTS, DASHBOARD}) {
            Matcher matcher = METRIC.matcher(read(file));
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }
}
