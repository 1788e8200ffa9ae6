package io.llmmetering.local;

import java.nio.file.Path;
import java.util.Map;

/**
 * What the local launcher runs on. Defaults: data under ./data, Kafka on 9092 (controller 9093), credit-api on
 * 8084, usage-ingest on 8085, the local PostgreSQL (database {@code metering}) and Redis.
 */
public record LocalSettings(Path dataDir, int kafkaPort, int controllerPort, int apiPort, int ingestPort, String databaseUrl,
                     String databaseUser, String redisUrl, boolean demo, int demoEvents, java.util.Optional<Path> priceBook) {

    /** The ports this launcher listens on, by role: each must be free before it starts. */
    Map<Integer, String> ports() {
        Map<Integer, String> ports = new java.util.LinkedHashMap<>();
        ports.put(kafkaPort, "Kafka");
        ports.put(controllerPort, "Kafka controller");
        ports.put(apiPort, "credit-api");
        ports.put(ingestPort, "usage-ingest");
        return ports;
    }

    static final String USAGE = """
            usage: java -jar local/target/metering-local.jar [options]
                   java -jar local/target/metering-local.jar token --user ID [--admin]   (see token --help)
                   java -jar local/target/metering-local.jar prices import FILE [--apply]   (see prices --help)
              --data-dir DIR      where Kafka's log and the topology's state live (default ./data)
              --kafka-port N      Kafka client port (default 9092; the controller uses N+1)
              --api-port N        credit-api port (default 8084)
              --ingest-port N     usage-ingest port (default 8085)
              --db-url URL        PostgreSQL JDBC URL (default jdbc:postgresql://127.0.0.1:5432/metering)
              --db-user USER      PostgreSQL user (default postgres)
              --redis-url URL     Redis URI (default redis://127.0.0.1:6379/0)
              --demo              drive synthetic proxy traffic through the system, check the invariants, print
                                  "discrepancies: N" and exit (non-zero when N > 0); drives the system
                                  already running on these ports if one answers, else starts its own
              --events N          events the demo sends (default 20000)
              --prices FILE       import a price book once the system is up (LiteLLM's
                                  model_prices_and_context_window.json, or this project's format)
            """;

    static LocalSettings parse(String[] args, Map<String, String> env) {
        Path dataDir = Path.of("data");
        int kafkaPort = 9092;
        int apiPort = 8084;
        int ingestPort = 8085;
        String dbUrl = env.getOrDefault("METERING_DB_URL", "jdbc:postgresql://127.0.0.1:5432/metering");
        String dbUser = env.getOrDefault("METERING_DB_USER", "postgres");
        String redis = env.getOrDefault("REDIS_URL", "redis://127.0.0.1:6379/0");
        boolean demo = false;
        int demoEvents = 20_000;
        Path priceBook = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--demo")) {
                demo = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--data-dir" -> dataDir = Path.of(value);
                case "--kafka-port" -> kafkaPort = port(flag, value);
                case "--api-port" -> apiPort = port(flag, value);
                case "--ingest-port" -> ingestPort = port(flag, value);
                case "--db-url" -> dbUrl = value;
                case "--db-user" -> dbUser = value;
                case "--redis-url" -> redis = value;
                case "--events" -> demoEvents = count(flag, value);
                case "--prices" -> priceBook = Path.of(value).toAbsolutePath();
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        return new LocalSettings(dataDir.toAbsolutePath(), kafkaPort, kafkaPort + 1, apiPort, ingestPort, dbUrl, dbUser, redis,
                demo, demoEvents, java.util.Optional.ofNullable(priceBook));
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + kafkaPort;
    }

    private static int count(String flag, String value) {
        try {
            int count = Integer.parseInt(value);
            if (count < 1 || count > 10_000_000) {
                throw new NumberFormatException();
            }
            return count;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " must be 1-10000000, was '" + value + "'");
        }
    }

    private static int port(String flag, String value) {
        try {
            int port = Integer.parseInt(value);
            if (port < 1 || port > 65_534) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " must be a port number, was '" + value + "'");
        }
    }
}
