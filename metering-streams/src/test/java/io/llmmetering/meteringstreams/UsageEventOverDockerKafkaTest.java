package io.llmmetering.meteringstreams;

import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same round trip against a Kafka broker in Docker, for contributors who have Docker. Where no Docker
 * engine runs (CI here) Testcontainers disables the class: it is reported as skipped, never failed.
 */
@Tag("integration")
@Testcontainers(disabledWithoutDocker = true)
class UsageEventOverDockerKafkaTest {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka-native:4.1.1");

    @Test
    void anAvroUsageEventRoundTripsThroughADockerBroker() {
        UsageEvent sent = UsageEvent.newBuilder().setEventId("e-docker").setOccurredAt(Instant.parse("2026-11-25T09:00:00Z"))
                .setUserId("u1").setProvider("anthropic").setModel("claude-sonnet-4-5").setInputTokens(10).setOutputTokens(5).build();
        try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.getBootstrapServers()),
                new StringSerializer(), AvroSerde.of(UsageEvent.class).serializer());
             KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(
                     Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.getBootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "docker-test",
                             ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                     new StringDeserializer(), AvroSerde.of(UsageEvent.class).deserializer())) {
            producer.send(new ProducerRecord<>("usage.events", "u1", sent));
            producer.flush();
            consumer.subscribe(List.of("usage.events"));
            ConsumerRecords<String, UsageEvent> records = consumer.poll(Duration.ofSeconds(30));
            assertThat(records.records("usage.events")).extracting(r -> r.value()).containsExactly(sent);
        }
    }
}
