package io.llmmetering.kafka.embedded;

import io.llmmetering.schemas.client.KafkaClients;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Kafka cluster in KRaft combined mode (each node a broker and a controller), run inside this JVM from Apache
 * Kafka's own server classes: one node by default, or several forming one quorum, with replication.
 *
 * <p>Its clients' listener is plaintext, or {@code SASL_SSL} only (SCRAM-SHA-512 users, a TLS certificate made for
 * the run, optionally ACLs enforced by the standard authorizer): a broker that refuses plaintext, as production
 * clusters do. {@link #clientSettings(String, String)} gives the settings a client needs to connect as a user.
 *
 * <p>Its log directories survive {@link #stop()} and a later {@link #start()} resumes from them on the same ports,
 * which is what a broker-restart test and the local launcher's on-disk log need. A cluster built without a log
 * directory uses a temporary one and deletes it on {@link #close()}.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    /** The user every broker authenticates as, and the cluster's super user. */
    public static final String SUPER_USER = "broker-admin";
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

    private final Path logDir;
    private final boolean temporaryLogDir;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, String> overrides;
    private final boolean saslSsl;
    private final boolean authorizer;
    private final Map<String, String> users;
    private final String clusterId = Uuid.randomUuid().toString();
    private final TlsMaterial tls;

    private static final class Node {
        final int id;
        final int brokerPort;
        final int controllerPort;
        final Path logDir;
        volatile KafkaRaftServer server;

        Node(int id, int brokerPort, int controllerPort, Path logDir) {
            this.id = id;
            this.brokerPort = brokerPort;
            this.controllerPort = controllerPort;
            this.logDir = logDir;
        }
    }

    private EmbeddedKafkaBroker(Builder builder) {
        try {
            this.temporaryLogDir = builder.logDir == null;
            this.logDir = temporaryLogDir ? Files.createTempDirectory("kafka-kraft-") : Files.createDirectories(builder.logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the broker's log directory", e);
        }
        Set<Integer> taken = new HashSet<>();
        for (int i = 1; i <= builder.nodes; i++) {
            int brokerPort = i == 1 && builder.port != 0 ? builder.port : freePort(taken);
            taken.add(brokerPort);
            int controllerPort = i == 1 && builder.controllerPort != 0 ? builder.controllerPort : freePort(taken);
            taken.add(controllerPort);
            // one node keeps its log in the directory itself, as the local launcher's data directory always had it
            nodes.add(new Node(i, brokerPort, controllerPort, builder.nodes == 1 ? logDir : logDir.resolve("node-" + i)));
        }
        this.overrides = Map.copyOf(builder.overrides);
        this.saslSsl = builder.saslSsl;
        this.authorizer = builder.authorizer;
        Map<String, String> allUsers = new LinkedHashMap<>(builder.users);
        allUsers.put(SUPER_USER, builder.superUserPassword);
        this.users = Map.copyOf(allUsers);
        // made now, so clients' settings (the trust store) are known before the cluster starts; beside the logs, not
        // in them (a broker takes every directory of its log directory for a partition)
        this.tls = saslSsl ? TlsMaterial.create(tlsDirectory()) : null;
    }

    private static Path tlsDirectory() {
        try {
            return Files.createTempDirectory("kafka-tls-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Formats the log directories on first use, starts every node and waits until the cluster answers. */
    public synchronized EmbeddedKafkaBroker start() {
        long startedAt = System.nanoTime();
        // a broker's fatal error calls System.exit: in this JVM it must end the broker, not the launcher or the tests
        Exit.setExitProcedure((status, message) -> {
            log.error("kafka node failed fatally status={} message={}", status, message);
            throw new IllegalStateException("kafka node failed fatally (" + status + "): " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            log.error("kafka node halted status={} message={}", status, message);
            throw new IllegalStateException("kafka node halted (" + status + "): " + message);
        });
        List<CompletableFuture<Void>> starting = new ArrayList<>();
        for (Node node : nodes) {
            if (node.server == null) {
                // a quorum's nodes wait for each other while starting: they start together
                starting.add(CompletableFuture.runAsync(() -> startNode(node)));
            }
        }
        starting.forEach(CompletableFuture::join);
        awaitReady();
        log.info("kafka cluster ready bootstrap={} nodes={} security={} logDir={} startupMs={}", bootstrapServers(), nodes.size(),
                saslSsl ? "SASL_SSL" : "PLAINTEXT", logDir, Duration.ofNanos(System.nanoTime() - startedAt).toMillis());
        return this;
    }

    private void startNode(Node node) {
        try {
            Files.createDirectories(node.logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KafkaConfig config = new KafkaConfig(brokerProperties(node), false);
        format(node);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        node.server = server;
    }

    /** Stops every node and keeps the log directories, so {@link #start()} resumes with every record. */
    public synchronized void stop() {
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (Node node : nodes) {
            if (node.server != null) {
                KafkaRaftServer server = node.server;
                node.server = null;
                stopping.add(CompletableFuture.runAsync(() -> {
                    server.shutdown();
                    server.awaitShutdown();
                }));
            }
        }
        stopping.forEach(CompletableFuture::join);
        log.info("kafka cluster stopped bootstrap={}", bootstrapServers());
    }

    /** Stops one node of a cluster (1 to the number of nodes); the others go on. */
    public synchronized void stopNode(int id) {
        Node node = node(id);
        if (node.server != null) {
            node.server.shutdown();
            node.server.awaitShutdown();
            node.server = null;
            log.info("kafka node stopped node={}", id);
        }
    }

    /** Starts a node stopped by {@link #stopNode(int)}; it rejoins with its log. */
    public synchronized void startNode(int id) {
        Node node = node(id);
        if (node.server == null) {
            startNode(node);
            log.info("kafka node started node={}", id);
        }
    }

    private Node node(int id) {
        if (id < 1 || id > nodes.size()) {
            throw new IllegalArgumentException("no node " + id + " in a cluster of " + nodes.size());
        }
        return nodes.get(id - 1);
    }

    public synchronized boolean isRunning() {
        return nodes.stream().anyMatch(node -> node.server != null);
    }

    public int nodeCount() {
        return nodes.size();
    }

    public String bootstrapServers() {
        return nodes.stream().map(node -> "127.0.0.1:" + node.brokerPort).collect(Collectors.joining(","));
    }

    public Path logDir() {
        return logDir;
    }

    /** What a client needs to connect as the cluster's super user: for the tests' own setup. */
    public Map<String, Object> clientSettings() {
        return clientSettings(SUPER_USER, users.get(SUPER_USER));
    }

    /**
     * What a client needs to connect as {@code user}: the bootstrap servers and, for {@code SASL_SSL}, the protocol,
     * the SCRAM login and the trust store holding this run's certificate, as Kafka names the settings.
     */
    public Map<String, Object> clientSettings(String user, String password) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        if (saslSsl) {
            settings.put("security.protocol", "SASL_SSL");
            settings.put("sasl.mechanism", SCRAM_MECHANISM);
            settings.put("sasl.jaas.config", scramLogin(user, password));
            settings.put("ssl.truststore.location", tls.truststore().toString());
            settings.put("ssl.truststore.password", tls.password());
            settings.put("ssl.truststore.type", "PKCS12");
        }
        return settings;
    }

    /** Creates each topic that does not exist yet. */
    public void createTopics(Collection<NewTopic> topics) {
        try (Admin admin = admin()) {
            for (NewTopic topic : topics) {
                try {
                    admin.createTopics(List.of(topic)).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic.name(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    public void createTopic(String name, int partitions) {
        createTopics(List.of(new NewTopic(name, partitions, (short) 1)));
    }

    /** Grants {@code acls}, as the cluster's super user. */
    public void createAcls(Collection<AclBinding> acls) {
        try (Admin admin = admin()) {
            admin.createAcls(acls).all().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create ACLs", e.getCause());
        }
    }

    /** The node that leads the most partitions of {@code topics}, with how many each node leads. */
    public Map<Integer, Integer> leadersOf(Collection<String> topics) {
        Map<Integer, Integer> leaders = new HashMap<>();
        try (Admin admin = admin()) {
            for (TopicDescription topic : admin.describeTopics(topics).allTopicNames().get().values()) {
                for (TopicPartitionInfo partition : topic.partitions()) {
                    if (partition.leader() != null) {
                        leaders.merge(partition.leader().id(), 1, Integer::sum);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe " + topics, e.getCause());
        }
        return leaders;
    }

    public Admin admin() {
        return KafkaClients.of(clientSettings()).admin(Map.of(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000));
    }

    @Override
    public synchronized void close() {
        stop();
        if (temporaryLogDir) {
            deleteRecursively(logDir);
        }
        if (tls != null) {
            deleteRecursively(tls.keystore().getParent());
        }
    }

    private String clientListener() {
        return saslSsl ? "SASL_SSL" : "PLAINTEXT";
    }

    private Properties brokerProperties(Node node) {
        int replication = Math.min(nodes.size(), 3);
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(node.id));
        props.put("listeners", clientListener() + "://127.0.0.1:" + node.brokerPort + ",CONTROLLER://127.0.0.1:" + node.controllerPort);
        props.put("advertised.listeners", clientListener() + "://127.0.0.1:" + node.brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", clientListener());
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        props.put("controller.quorum.voters", nodes.stream().map(n -> n.id + "@127.0.0.1:" + n.controllerPort).collect(Collectors.joining(",")));
        props.put("log.dirs", node.logDir.toString());
        props.put("metadata.log.dir", node.logDir.toString());
        // internal topics replicated as far as the nodes allow: one node needs factor 1, or transactions never start
        props.put("offsets.topic.replication.factor", String.valueOf(replication));
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", String.valueOf(replication));
        props.put("transaction.state.log.min.isr", String.valueOf(Math.max(1, replication - 1)));
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", String.valueOf(replication));
        props.put("share.coordinator.state.topic.min.isr", String.valueOf(Math.max(1, replication - 1)));
        props.put("default.replication.factor", String.valueOf(replication));
        props.put("min.insync.replicas", "1");
        // a test's consumer group should start at once, not after the default 3 s settling delay
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        // one node has no replica to hand its leaders to: a controlled shutdown only waits (up to 5 minutes, under
        // load) for its own controller, which a launcher stopped with Ctrl-C once did for over 3 minutes. A
        // cluster's node hands its leaders over first, as in production.
        props.put("controlled.shutdown.enable", String.valueOf(nodes.size() > 1));
        props.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        if (saslSsl) {
            props.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
            props.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
            props.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", scramLogin(SUPER_USER, users.get(SUPER_USER)));
            props.put("ssl.keystore.location", tls.keystore().toString());
            props.put("ssl.keystore.password", tls.password());
            props.put("ssl.key.password", tls.password());
            props.put("ssl.keystore.type", "PKCS12");
            props.put("ssl.truststore.location", tls.truststore().toString());
            props.put("ssl.truststore.password", tls.password());
            props.put("ssl.truststore.type", "PKCS12");
        }
        if (authorizer) {
            props.put("authorizer.class.name", STANDARD_AUTHORIZER);
            // the brokers' own user, and the controller listener's (plaintext, between the nodes of this JVM only)
            props.put("super.users", "User:" + SUPER_USER + ";User:ANONYMOUS");
            props.put("allow.everyone.if.no.acl.found", "false");
        }
        props.putAll(overrides);
        return props;
    }

    private static String scramLogin(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";";
    }

    private void format(Node node) {
        if (Files.exists(node.logDir.resolve("meta.properties"))) {
            return; // formatted before: a restart resumes the existing cluster and its records
        }
        try {
            Formatter formatter = new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(node.id)
                    .setClusterId(clusterId)
                    .setDirectories(List.of(node.logDir.toString()))
                    .setMetadataLogDirectory(node.logDir.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setIgnoreFormatted(true);
            if (saslSsl) {
                formatter.setScramArguments(users.entrySet().stream()
                        .map(user -> SCRAM_MECHANISM + "=[name=" + user.getKey() + ",password=" + user.getValue() + "]").toList());
            }
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the KRaft log directory " + node.logDir, e);
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                if (admin.describeCluster().nodes().get().size() >= nodes.stream().filter(node -> node.server != null).count()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the broker", e);
            } catch (ExecutionException | RuntimeException e) {
                last = new IllegalStateException(e);
            }
            sleep(100);
        }
        throw new IllegalStateException("kafka cluster not ready after " + READY_TIMEOUT, last);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A free port on loopback not in {@code taken}: two probes may return the same port. */
    private static int freePort(Set<Integer> taken) {
        while (true) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress("127.0.0.1", 0));
                if (!taken.contains(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free port on 127.0.0.1", e);
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.warn("could not delete broker log directory {}: {}", dir, e.toString());
        }
    }

    public static final class Builder {
        private Path logDir;
        private int port;
        private int controllerPort;
        private int nodes = 1;
        private boolean saslSsl;
        private boolean authorizer;
        private String superUserPassword = "broker-admin-" + Uuid.randomUuid().toString().replace("-", "");
        private final Map<String, String> users = new LinkedHashMap<>();
        private final HashMap<String, String> overrides = new HashMap<>();

        private Builder() {
        }

        /** A log directory that outlives the broker; without one a temporary directory is used and deleted on close. */
        public Builder logDir(Path logDir) {
            this.logDir = logDir;
            return this;
        }

        /** The client port (of the first node); 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        /** Nodes of the cluster, each a broker and a controller of one quorum: 1 (the default) or 3 for replication. */
        public Builder nodes(int nodes) {
            if (nodes < 1 || nodes > 5) {
                throw new IllegalArgumentException("1-5 nodes, was " + nodes);
            }
            this.nodes = nodes;
            return this;
        }

        /** Clients connect with {@code SASL_SSL} only: SCRAM-SHA-512 over TLS with a certificate made for this run. */
        public Builder saslSsl() {
            this.saslSsl = true;
            return this;
        }

        /** A SCRAM user clients may log in as ({@link #saslSsl()}); names and passwords of letters, digits and dashes. */
        public Builder user(String name, String password) {
            if (!name.matches("[A-Za-z0-9-]+") || !password.matches("[A-Za-z0-9-]+")) {
                throw new IllegalArgumentException("user names and passwords of letters, digits and dashes");
            }
            users.put(name, password);
            return this;
        }

        /** ACLs enforced by Kafka's standard authorizer: a user may do only what an ACL grants it. */
        public Builder authorizer() {
            this.authorizer = true;
            return this;
        }

        /** Any broker setting, e.g. {@code auto.create.topics.enable}. */
        public Builder brokerProperty(String name, String value) {
            overrides.put(name, value);
            return this;
        }

        public EmbeddedKafkaBroker build() {
            if (authorizer && !saslSsl) {
                throw new IllegalStateException("an authorizer needs authenticated users: saslSsl()");
            }
            return new EmbeddedKafkaBroker(this);
        }
    }
}
