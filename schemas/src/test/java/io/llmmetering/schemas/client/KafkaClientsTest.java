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

    /** A refusal is found however deep a client wrapped it, and says what was refused; anything else may pass with a retry. */
    @Test
    void aRefusedCredentialOrAMissingAclIsNamedWhereverItIsInTheCauseChain() {
        RuntimeException wrongPassword = new IllegalStateException("cannot create topic usage.events", new java.util.concurrent.ExecutionException(
                new org.apache.kafka.common.errors.SaslAuthenticationException("invalid credentials with SASL mechanism SCRAM-SHA-512")));
        assertThat(KafkaClients.refusal(wrongPassword))
                .isEqualTo("authentication refused: SaslAuthenticationException invalid credentials with SASL mechanism SCRAM-SHA-512")
                .startsWith(KafkaClients.AUTHENTICATION_REFUSED);
        assertThat(KafkaClients.refusal(new RuntimeException(new org.apache.kafka.common.errors.TopicAuthorizationException(java.util.Set.of("credit.debits")))))
                .startsWith("not authorized: TopicAuthorizationException").contains("credit.debits");
        assertThat(KafkaClients.refusal(new RuntimeException(new org.apache.kafka.common.errors.TimeoutException("no node")))).isNull();
        assertThat(KafkaClients.refusal(null)).isNull();
    }
}
