package io.llmmetering.local;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the local launcher runs on: data directory, Kafka's client and controller ports, the two services' ports,
 * PostgreSQL, Redis, and whether to drive demo traffic. {@link LocalCommand} makes one from the command line.
 */
public record LocalSettings(Path dataDir, int kafkaPort, int controllerPort, int apiPort, int ingestPort, String databaseUrl,
                            String databaseUser, String redisUrl, boolean demo, int demoEvents, Optional<Path> priceBook) {

    /** The ports this launcher listens on, by role: each must be free before it starts. */
    Map<Integer, String> ports() {
        Map<Integer, String> ports = new LinkedHashMap<>();
        ports.put(kafkaPort, "Kafka");
        ports.put(controllerPort, "Kafka controller");
        ports.put(apiPort, "credit-api");
        ports.put(ingestPort, "usage-ingest");
        return ports;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + kafkaPort;
    }
}
