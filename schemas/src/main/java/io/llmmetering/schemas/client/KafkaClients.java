package io.llmmetering.schemas.client;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every Kafka client of every service is built here, from one configuration: what the operator set for all clients
 * (bootstrap servers, security protocol, TLS, SASL, any client property) and for one kind of client. The services
 * bind it from {@code spring.kafka.*} exactly as Spring Boot does ({@code KafkaProperties}: {@code bootstrap-servers},
 * {@code security.protocol}, {@code ssl.*}, the pass-through {@code properties.*} map, and {@code producer.*},
 * {@code consumer.*}, {@code admin.*}, {@code streams.*} for one kind), so a cluster that requires TLS and SASL is a
 * matter of settings, never of code.
 *
 * <p>Each client is configured in three layers, later ones winning: the defaults its job wants (batching, timeouts),
 * then the operator's settings, then what correctness requires, which no setting can change: exactly-once
 * processing for the topology, {@code read_committed} and manual commits for the appliers, idempotent producers
 * with {@code acks=all} where a record must not be lost or doubled.
 */
public final class KafkaClients {

    /** The kinds of client, each with the operator's settings for it. */
    public enum Kind { PRODUCER, CONSUMER, ADMIN, STREAMS }

    private static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

    private final Map<Kind, Map<String, Object>> configured = new EnumMap<>(Kind.class);

    /** @param configured the operator's complete settings for each kind of client (connection and security included) */
    public KafkaClients(Map<Kind, ? extends Map<String, ?>> configured) {
        for (Kind kind : Kind.values()) {
            Map<String, ?> given = configured.get(kind);
            Map<String, Object> settings = given == null ? new HashMap<>() : new HashMap<>(given);
            settings.putIfAbsent(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
            this.configured.put(kind, Map.copyOf(settings));
        }
    }

    /** The operator's settings for each kind of client, as Spring Boot's {@code KafkaProperties} builds them. */
    public static KafkaClients of(Map<String, ?> producer, Map<String, ?> consumer, Map<String, ?> admin, Map<String, ?> streams) {
        return new KafkaClients(Map.of(Kind.PRODUCER, producer, Kind.CONSUMER, consumer, Kind.ADMIN, admin, Kind.STREAMS, streams));
    }

    /** The same settings for every kind of client: for proxies' own code, tools and tests. */
    public static KafkaClients of(Map<String, ?> common) {
        Map<Kind, Map<String, ?>> all = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            all.put(kind, common);
        }
        return new KafkaClients(all);
    }

    /** A plaintext cluster at {@code bootstrapServers}, as the local launcher and the tests run it. */
    public static KafkaClients plaintext(String bootstrapServers) {
        return of(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** The brokers the clients connect to, for logs and health details. */
    public String bootstrapServers() {
        Object servers = configured.get(Kind.ADMIN).get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        if (servers instanceof Iterable<?> list) {
            StringBuilder joined = new StringBuilder();
            list.forEach(server -> joined.append(joined.isEmpty() ? "" : ",").append(server));
            return joined.toString();
        }
        return String.valueOf(servers);
    }

    /** The settings a client of {@code kind} gets: {@code defaults}, then the operator's, then {@code required}. */
    public Map<String, Object> config(Kind kind, Map<String, ?> defaults, Map<String, ?> required) {
        Map<String, Object> config = new HashMap<>(defaults);
        config.putAll(configured.get(kind));
        config.putAll(required);
        return config;
    }

    public <K, V> KafkaProducer<K, V> producer(Map<String, ?> defaults, Map<String, ?> required, Serializer<K> keys, Serializer<V> values) {
        return new KafkaProducer<>(config(Kind.PRODUCER, defaults, required), Objects.requireNonNull(keys), Objects.requireNonNull(values));
    }

    public <K, V> KafkaConsumer<K, V> consumer(Map<String, ?> defaults, Map<String, ?> required, Deserializer<K> keys,
                                               Deserializer<V> values) {
        return new KafkaConsumer<>(config(Kind.CONSUMER, defaults, required), Objects.requireNonNull(keys), Objects.requireNonNull(values));
    }

    public Admin admin(Map<String, ?> defaults) {
        return Admin.create(config(Kind.ADMIN, defaults, Map.of()));
    }

    /**
     * The admin client a health check asks "does a broker answer?": short timeouts, so a dead broker or refused
     * credentials show as DOWN within seconds instead of holding the health endpoint for Kafka's default minute.
     */
    public Admin healthCheckAdmin() {
        return admin(Map.of(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000));
    }

    /** What a health check saw: the brokers that answered, or why none did. */
    public record ClusterCheck(int brokers, String error) {
        public boolean up() {
            return error == null;
        }
    }

    /**
     * Asks the cluster through a {@link #healthCheckAdmin()}. A refusal says what was refused (credentials, an
     * ACL: Kafka's message names the mechanism or the resource, never a secret), so health tells a wrong password
     * from a broker that is down.
     */
    public static ClusterCheck check(Admin admin) {
        try {
            return new ClusterCheck(admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000)).nodes().get(3, TimeUnit.SECONDS).size(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ClusterCheck(0, "interrupted");
        } catch (ExecutionException e) {
            String refusal = refusal(e.getCause());
            return new ClusterCheck(0, refusal != null ? refusal : e.getCause().getClass().getSimpleName());
        } catch (TimeoutException | RuntimeException e) {
            return new ClusterCheck(0, e.getClass().getSimpleName());
        }
    }

    /** How {@link #refusal} begins for a refused credential. */
    public static final String AUTHENTICATION_REFUSED = "authentication refused: ";

    /**
     * "authentication refused: ..." or "not authorized: ..." for a refused credential or a missing ACL anywhere in
     * the cause chain (Kafka's message names the mechanism or the resource, never a secret); null for anything else,
     * which retrying may cure.
     */
    public static String refusal(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof AuthenticationException || cause instanceof AuthorizationException) {
                return (cause instanceof AuthenticationException ? AUTHENTICATION_REFUSED : "not authorized: ")
                        + cause.getClass().getSimpleName() + " " + cause.getMessage();
            }
        }
        return null;
    }

    /** The Streams configuration of a topology (kafka-streams must be on the class path to run it: {@link Streams}). */
    public Properties streamsConfig(Map<String, ?> defaults, Map<String, ?> required) {
        Properties properties = new Properties();
        properties.putAll(config(Kind.STREAMS, defaults, required));
        return properties;
    }

    /**
     * The topology's {@link KafkaStreams}, with a configuration from {@link #streamsConfig}. A class of its own, so
     * that services without kafka-streams on the class path never load its types by looking at this one.
     */
    public static final class Streams {
        private Streams() {
        }

        public static KafkaStreams of(Topology topology, Properties config) {
            return new KafkaStreams(topology, config);
        }
    }
}
