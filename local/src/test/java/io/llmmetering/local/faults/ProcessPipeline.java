package io.llmmetering.local.faults;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.local.FreePorts;
import io.llmmetering.local.LocalIngestKey;
import io.llmmetering.meteringstreams.service.TopicProvisioner;
import io.llmmetering.schemas.client.KafkaClients;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The whole system the way a deployment runs it, on this machine: a KRaft broker (in this JVM, so it can be
 * stopped and started on its own log), a database of its own on the local PostgreSQL, a redis-server process
 * of its own, and credit-api, metering-streams and usage-ingest each in its own JVM from its executable jar.
 * Scenarios kill, stop, start and add instances while traffic flows.
 */
final class ProcessPipeline implements AutoCloseable {

    static final String JWT_SECRET = "process-pipeline-secret-of-at-least-32-bytes";
    private static final Path REDIS_SERVER = Path.of("/usr/bin/redis-server");
    private static final Duration STARTUP = Duration.ofSeconds(120);

    final Path dir;
    final EmbeddedKafkaBroker broker;
    final String database;
    final String databaseUrl;
    final int redisPort;
    private Process redis;
    private final List<ServiceProcess> services = new ArrayList<>();
    final ServiceProcess api;
    final ServiceProcess streams;
    final ServiceProcess ingest;
    private String ingestKey;
    private final BiFunction<EmbeddedKafkaBroker, String, List<String>> kafkaLogin;

    ProcessPipeline(Path dir) throws IOException {
        this(dir, EmbeddedKafkaBroker.builder(), (broker, service) -> List.of());
    }

    /**
     * @param cluster    the broker or cluster to run (its log directory and ports are set here)
     * @param kafkaLogin each service's Kafka settings beyond the bootstrap servers, as command-line arguments
     *                   ({@code --spring.kafka.*}): for a secured cluster, its user and the trust store
     */
    ProcessPipeline(Path dir, EmbeddedKafkaBroker.Builder cluster, BiFunction<EmbeddedKafkaBroker, String, List<String>> kafkaLogin)
            throws IOException {
        this.dir = dir;
        this.kafkaLogin = kafkaLogin;
        int kafkaPort = FreePorts.pair();
        this.broker = cluster.logDir(dir.resolve("kafka")).port(kafkaPort).controllerPort(kafkaPort + 1).build();
        this.database = "t_faults_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        this.databaseUrl = "jdbc:postgresql://127.0.0.1:5432/" + database;
        this.redisPort = FreePorts.one();
        this.api = creditApi("credit-api-a");
        this.streams = meteringStreams("metering-streams-a");
        this.ingest = usageIngest("usage-ingest");
    }

    /** Starts everything in dependency order and returns once every service is healthy. */
    ProcessPipeline start() throws Exception {
        return start(broker -> { });
    }

    /** As {@link #start()}; {@code beforeServices} runs once the topics exist (to grant ACLs, say). */
    ProcessPipeline start(Consumer<EmbeddedKafkaBroker> beforeServices) throws Exception {
        try {
            startWithoutWaiting(beforeServices);
            api.awaitHealthy(STARTUP); // credit-api migrates the database before it answers
            ingestKey = new LocalIngestKey(databaseUrl, "postgres").create("fault-scenarios", "proxy-fleet");
            ingest.start();
            streams.awaitHealthy(STARTUP);
            ingest.awaitHealthy(STARTUP);
            return this;
        } catch (Exception | Error e) {
            // no caller holds the pipeline yet: left running, its processes would hold PostgreSQL's connections for
            // every scenario after this one
            close();
            throw e;
        }
    }

    /** Starts the broker, the topics, credit-api and the topology, without waiting for them to be healthy. */
    ProcessPipeline startWithoutWaiting(Consumer<EmbeddedKafkaBroker> beforeServices) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        startRedis();
        broker.start();
        TopicProvisioner provisioner = new TopicProvisioner(kafka());
        // replicated as far as the cluster allows: three nodes get factor 3 and two in-sync replicas per write
        provisioner.createTopics(6, replicationFactor(), minInsyncReplicas());
        provisioner.seedPriceBookIfEmpty(PriceBookReader.defaultPriceBook());
        beforeServices.accept(broker);
        api.start();
        streams.start();
        return this;
    }

    /** Another credit-api (its applier joins the debit applier's consumer group), not started. */
    ServiceProcess creditApi(String name, String... settings) throws IOException {
        return register(new ServiceProcess(name, "credit-api", FreePorts.one(), arguments("credit-api", List.of(
                "--spring.datasource.url=" + databaseUrl, "--spring.datasource.username=postgres",
                "--credit.redis-url=redis://127.0.0.1:" + redisPort + "/0",
                // a stale cached balance outlives the scenarios instead of expiring before the checks read it
                "--credit.cache-ttl=600",
                "--credit.auth.jwt-secret=" + JWT_SECRET), settings), dir));
    }

    /** Another usage-ingest, not started; {@code settings} are more command-line arguments (they win). */
    ServiceProcess usageIngest(String name, String... settings) throws IOException {
        return register(new ServiceProcess(name, "usage-ingest", FreePorts.one(), arguments("usage-ingest", List.of(
                "--spring.datasource.url=" + databaseUrl, "--spring.datasource.username=postgres"), settings), dir));
    }

    /** The service's arguments; a setting given again replaces the earlier one (Spring would join both with a comma). */
    private List<String> arguments(String service, List<String> own, String... settings) {
        java.util.Map<String, String> byName = new java.util.LinkedHashMap<>();
        java.util.stream.Stream.of(own, List.of("--spring.kafka.bootstrap-servers=" + broker.bootstrapServers()),
                        kafkaLogin.apply(broker, service), List.of(settings))
                .flatMap(List::stream).forEach(argument -> byName.put(argument.substring(0, argument.indexOf('=') + 1), argument));
        return new ArrayList<>(byName.values());
    }

    short replicationFactor() {
        return (short) Math.min(3, broker.nodeCount());
    }

    int minInsyncReplicas() {
        return replicationFactor() > 1 ? 2 : 1;
    }

    /** A client of the cluster as its super user: the scenarios' own setup and checks. */
    KafkaClients kafka() {
        return KafkaClients.of(broker.clientSettings());
    }

    /** Another topology instance (same application id, its own state directory), not started; {@code settings} win. */
    ServiceProcess meteringStreams(String name, String... settings) throws IOException {
        return register(new ServiceProcess(name, "metering-streams", FreePorts.one(), arguments("metering-streams", List.of(
                "--metering.streams.instance-id=" + name,
                "--metering.streams.state-dir=" + dir.resolve("state-" + name),
                "--metering.streams.create-topics=false",
                "--metering.streams.replication-factor=" + replicationFactor(),
                "--metering.streams.min-insync-replicas=" + minInsyncReplicas()), settings), dir));
    }

    private ServiceProcess register(ServiceProcess service) {
        services.add(service);
        return service;
    }

    String ingestBase() {
        return "http://127.0.0.1:" + ingest.port();
    }

    String ingestKey() {
        return ingestKey;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(databaseUrl, "postgres", "");
    }

    /** kill -9 of the redis-server: the cache is gone, with every key in it. */
    void killRedis() {
        if (redis != null && redis.isAlive()) {
            redis.destroyForcibly();
            try {
                redis.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGSTOP of the redis-server: connections stay open and every command waits, as on a frozen host. */
    void pauseRedis() throws IOException, InterruptedException {
        signalRedis("-STOP");
    }

    void resumeRedis() throws IOException, InterruptedException {
        signalRedis("-CONT");
    }

    private void signalRedis(String signal) throws IOException, InterruptedException {
        if (redis == null || !redis.isAlive()) {
            throw new IllegalStateException("redis-server is not running");
        }
        int exit = new ProcessBuilder("kill", signal, String.valueOf(redis.pid())).inheritIO().start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException("kill " + signal + " of redis-server failed: " + exit);
        }
    }

    /** Starts the redis-server (empty: it keeps nothing on disk) and waits until it accepts connections. */
    void startRedis() throws IOException {
        if (redis != null && redis.isAlive()) {
            return;
        }
        if (!Files.isExecutable(REDIS_SERVER)) {
            throw new IllegalStateException(REDIS_SERVER + " is missing: install Debian's redis-server");
        }
        redis = new ProcessBuilder(REDIS_SERVER.toString(), "--port", String.valueOf(redisPort), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        for (int attempt = 0; attempt < 100; attempt++) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", redisPort), 200);
                return;
            } catch (IOException notYet) {
                ServiceProcess.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + redisPort);
    }

    /** Terminates every PostgreSQL backend of the services (mid-statement or idle); returns how many. */
    int terminateDatabaseConnections() throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
            s.setString(1, database);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }

    /** Where to look when a scenario fails. */
    String logs() {
        StringBuilder where = new StringBuilder("service logs:");
        services.forEach(s -> where.append(' ').append(s.log()));
        return where.toString();
    }

    @Override
    public void close() {
        services.forEach(ServiceProcess::kill);
        broker.close();
        killRedis();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop " + database, e);
        }
    }
}
