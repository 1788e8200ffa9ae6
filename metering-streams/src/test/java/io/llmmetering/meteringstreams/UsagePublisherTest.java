package io.llmmetering.meteringstreams;

import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.schemas.client.UsagePublisher;
import io.llmmetering.testsupport.KafkaBrokerExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("integration")
@ExtendWith(KafkaBrokerExtension.class)
class UsagePublisherTest {

    @Test
    void aJvmProxyPublishesUsageWithTheSameKeyAndSchemaAsIngest(EmbeddedKafkaBroker broker) {
        broker.createTopic("usage.events", 3);
        UsageEvent event = UsageEvent.newBuilder().setEventId("jvm-1").setUserId("jvm@example.com").setProvider("openai")
                .setModel("gpt-4o").setInputTokens(10).setOutputTokens(2).setOccurredAt(Instant.parse("2026-11-25T08:00:00Z")).build();
        try (UsagePublisher publisher = UsagePublisher.connect(broker.bootstrapServers(), "gateway-7")) {
            assertThat(publisher.publish(event).join().topic()).isEqualTo("usage.events");
            assertThatThrownBy(() -> publisher.publish(UsageEvent.newBuilder(event).setUserId("").build()).join())
                    .isInstanceOf(CompletionException.class).hasRootCauseInstanceOf(IllegalArgumentException.class);
        }
        List<ConsumerRecord<String, UsageEvent>> records = new ArrayList<>();
        try (KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "publisher-test", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), AvroSerde.of(UsageEvent.class).deserializer())) {
            consumer.subscribe(List.of("usage.events"));
            Awaitility.await("jvm-1 on usage.events").atMost(Duration.ofSeconds(20)).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.stream().anyMatch(r -> r.value().getEventId().equals("jvm-1"));
            });
        }
        assertThat(records).filteredOn(r -> r.value().getEventId().equals("jvm-1")).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("jvm@example.com");
            assertThat(r.value().getSource()).isEqualTo("gateway-7");
        });
    }
}
