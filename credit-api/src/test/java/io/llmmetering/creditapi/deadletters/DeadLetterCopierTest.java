package io.llmmetering.creditapi.deadletters;

import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.schemas.DeadLetterHeaders;
import io.llmmetering.schemas.TopicDefinitions;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The copier resumes from the archive, whatever the topic went through while it was away. */
@Tag("integration")
@Tag("reliability")
@ExtendWith(PostgresDatabaseExtension.class)
class DeadLetterCopierTest {

    private EmbeddedKafkaBroker broker;
    private TestDatabase database;
    private Thread running;
    private DeadLetterCopier copier;

    @BeforeEach
    void setUp(TestDatabase database) throws Exception {
        this.database = database;
        broker = EmbeddedKafkaBroker.builder().build().start();
        broker.createTopics(TopicDefinitions.all(1, (short) 1));
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        }
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        stopCopier();
        broker.close();
    }

    /** Without auto.offset.reset the consumer jumped to the end and silently skipped every letter still there. */
    @Test
    void aPositionOlderThanTheTopicsRetentionResumesAtWhatIsStillThere() throws Exception {
        produce(0, 3);
        startCopier();
        awaitArchived(3);
        stopCopier();
        produce(3, 3); // offsets 3, 4, 5 while the copier is away; then retention removes 3
        try (Admin admin = broker.admin()) {
            admin.deleteRecords(Map.of(new TopicPartition(Topics.USAGE_EVENTS_DLQ, 0), RecordsToDelete.beforeOffset(4))).all().get();
        }

        startCopier();

        awaitArchived(5);
        assertThat(offsets()).containsExactly(0L, 1L, 2L, 4L, 5L);
    }

    /** A topic deleted and created again numbers its records from 0: they collided with the old rows and were dropped. */
    @Test
    void theRecordsOfARecreatedTopicAreArchivedBesideTheOldOnes() throws Exception {
        produce(0, 3);
        startCopier();
        awaitArchived(3);
        stopCopier();
        try (Admin admin = broker.admin()) {
            admin.deleteTopics(List.of(Topics.USAGE_EVENTS_DLQ)).all().get();
            await().atMost(Duration.ofSeconds(30)).until(() -> !admin.listTopics().names().get().contains(Topics.USAGE_EVENTS_DLQ));
            admin.createTopics(List.of(new NewTopic(Topics.USAGE_EVENTS_DLQ, 1, (short) 1))).all().get();
        }
        produce(100, 2);

        startCopier();

        awaitArchived(5);
        assertThat(offsets()).containsExactly(0L, 0L, 1L, 1L, 2L);
    }

    private void startCopier() {
        copier = new DeadLetterCopier(KafkaClients.plaintext(broker.bootstrapServers()), new DeadLetterArchive(database.dataSource()),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        running = new Thread(copier, "dead-letter-copier-test");
        running.start();
    }

    private void stopCopier() throws InterruptedException {
        if (copier != null) {
            copier.close();
            running.join(10_000);
            copier = null;
        }
    }

    private void produce(int first, int count) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.plaintext(broker.bootstrapServers())
                .producer(Map.of(), Map.of(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = first; i < first + count; i++) {
                producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS_DLQ, null, System.currentTimeMillis(),
                        ("letter-" + i).getBytes(StandardCharsets.UTF_8), ("not avro " + i).getBytes(StandardCharsets.UTF_8),
                        DeadLetterHeaders.of("bad_header", "test", null, null, System.currentTimeMillis()))).get();
            }
        }
    }

    private void awaitArchived(int rows) throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> offsets().size() >= rows);
        assertThat(offsets()).hasSize(rows);
    }

    private List<Long> offsets() throws Exception {
        List<Long> offsets = new ArrayList<>();
        try (Connection c = database.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT kafka_offset FROM dead_letters ORDER BY kafka_offset")) {
            while (r.next()) {
                offsets.add(r.getLong(1));
            }
        }
        return offsets;
    }
}
