package io.llmmetering.usageingest.web;

import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.TopicDefinitions;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.core.keys.IngestApiKeys;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** A broker, a migrated database with ingest keys, and helpers to call the service and read what it published. */
final class IngestServiceFixture {

    final EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
    final String database = "t_ingest_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    final String jdbcUrl = "jdbc:postgresql://127.0.0.1:5432/" + database;
    final String key;
    private final KafkaConsumer<String, UsageEvent> consumer;
    private final HttpClient http = HttpClient.newHttpClient();

    IngestServiceFixture() {
        broker.createTopics(TopicDefinitions.all(3, (short) 1));
        DatabaseMigrator migrator = new DatabaseMigrator(new DatabaseTarget(jdbcUrl, "postgres", ""));
        try {
            migrator.createDatabaseIfMissing();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        migrator.migrate();
        key = createKey("proxy-test", "litellm-eu-1", false);
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "ingest-test-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), AvroSerde.of(UsageEvent.class).deserializer());
        consumer.subscribe(List.of(Topics.USAGE_EVENTS));
    }

    /** Inserts a key as the admin endpoint will: only its prefix and SHA-256 are stored. */
    String createKey(String name, String source, boolean revoked) {
        return createKey(name, source, revoked, "user");
    }

    String createKey(String name, String source, boolean revoked, String liteLlmAccount) {
        String secret = "mk_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
             PreparedStatement s = c.prepareStatement("INSERT INTO ingest_api_keys (key_prefix, key_hash, name, source, litellm_account, revoked_at) VALUES (?, ?, ?, ?, ?, "
                     + (revoked ? "now()" : "NULL") + ")")) {
            s.setString(1, IngestApiKeys.prefixOf(secret));
            s.setBytes(2, IngestApiKeys.sha256(secret));
            s.setString(3, name);
            s.setString(4, source);
            s.setString(5, liteLlmAccount);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return secret;
    }

    HttpResponse<String> post(int port, String path, String contentType, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(int port, String path, String contentType, String body) throws Exception {
        return post(port, path, contentType, body, Map.of("Authorization", "Bearer " + key));
    }

    /** Everything published since the last call, waiting up to {@code wait} for {@code expected} records. */
    List<ConsumerRecord<String, UsageEvent>> published(int expected, Duration wait) {
        List<ConsumerRecord<String, UsageEvent>> records = new ArrayList<>();
        try {
            Awaitility.await().atMost(wait).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
        } catch (ConditionTimeoutException e) {
            // fewer than expected: the caller's assertion on what was published says so
        }
        // anything published beyond the expected records (a duplicate) has half a second to show
        long settle = System.nanoTime() + Duration.ofMillis(500).toNanos();
        while (System.nanoTime() < settle) {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
        return records;
    }

    void close() throws SQLException {
        consumer.close();
        broker.close();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }
}
