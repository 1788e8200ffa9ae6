package io.llmmetering.meteringstreams;

import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.testsupport.KafkaBrokerExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@ExtendWith(KafkaBrokerExtension.class)
class UsageEventOverKafkaTest {

    @Test
    void anAvroUsageEventPublishedToTheBrokerIsReadBackDecoded(EmbeddedKafkaBroker broker) throws Exception {
        broker.createTopic(Topics.USAGE_EVENTS, 3);
        UsageEvent sent = UsageEvent.newBuilder()
                .setEventId("chatcmpl-9f3a").setOccurredAt(Instant.parse("2026-11-25T09:00:00.250Z"))
                .setUserId("test@example.com").setProvider("openai").setModel("gpt-4o")
                .setInputTokens(1000).setOutputTokens(250).setPowerLevel("balanced")
                .setMetadata(Map.of("team", "search")).setSource("litellm").build();

        RecordMetadata written;
        try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), AvroSerde.of(UsageEvent.class).serializer())) {
            written = producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS, sent.getUserId(), sent)).get();
        }

        List<ConsumerRecord<String, UsageEvent>> received = new ArrayList<>();
        try (KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "round-trip-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), AvroSerde.of(UsageEvent.class).deserializer())) {
            consumer.subscribe(List.of(Topics.USAGE_EVENTS));
            // the broker is shared by the module's tests: look for this event among whatever else is there
            Awaitility.await("chatcmpl-9f3a on usage.events").atMost(Duration.ofSeconds(30)).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return received.stream().anyMatch(r -> r.value().getEventId().equals("chatcmpl-9f3a"));
            });
        }

        assertThat(received).filteredOn(r -> r.value().getEventId().equals("chatcmpl-9f3a")).singleElement().satisfies(record -> {
            assertThat(record.key()).isEqualTo("test@example.com");
            assertThat(record.partition()).isEqualTo(written.partition());
            assertThat(record.value()).isEqualTo(sent);
        });
    }
}
