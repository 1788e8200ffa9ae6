package io.llmmetering.schemas.client;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One configuration for every client: the code's defaults, then the operator's settings, then what correctness forces. */
class KafkaClientsTest {

    private final KafkaClients kafka = new KafkaClients(Map.of(
            KafkaClients.Kind.CONSUMER, Map.of("bootstrap.servers", List.of("b1:9093", "b2:9093"), "security.protocol", "SASL_SSL",
                    "sasl.mechanism", "SCRAM-SHA-512", "max.poll.records", 100, "isolation.level", "read_uncommitted"),
            KafkaClients.Kind.ADMIN, Map.of("bootstrap.servers", List.of("b1:9093", "b2:9093"), "security.protocol", "SASL_SSL")));

    @Test
    void theOperatorsSettingsWinOverTheCodesDefaultsAndWhatCorrectnessNeedsWinsOverBoth() {
        Map<String, Object> config = kafka.config(KafkaClients.Kind.CONSUMER, Map.of("max.poll.records", 5000, "session.timeout.ms", 10_000),
                Map.of("isolation.level", "read_committed", "enable.auto.commit", false));

        assertThat(config).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("max.poll.records", 100).containsEntry("session.timeout.ms", 10_000)
                .containsEntry("isolation.level", "read_committed").containsEntry("enable.auto.commit", false);
    }

    @Test
    void aKindWithoutSettingsConnectsToTheLocalDefaultAndTheServersReadAsOneList() {
        assertThat(kafka.config(KafkaClients.Kind.PRODUCER, Map.of(), Map.of())).containsEntry("bootstrap.servers", "127.0.0.1:9092");
        assertThat(kafka.bootstrapServers()).isEqualTo("b1:9093,b2:9093");
        assertThat(KafkaClients.plaintext("127.0.0.1:1234").config(KafkaClients.Kind.STREAMS, Map.of(), Map.of()))
                .containsExactly(Map.entry("bootstrap.servers", "127.0.0.1:1234"));
    }
}
