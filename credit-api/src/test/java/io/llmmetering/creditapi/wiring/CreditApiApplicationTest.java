package io.llmmetering.creditapi.wiring;

import io.llmmetering.creditapi.balances.BalanceReader;
import io.llmmetering.core.money.Credits;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.TopicDefinitions;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** credit-api as deployed: migrates a database it creates, applies debits from Kafka, reports health and metrics. */
@Tag("integration")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CreditApiApplicationTest {

    private static final EmbeddedKafkaBroker BROKER = EmbeddedKafkaBroker.builder().build().start();
    private static final String DATABASE = "t_creditapi_app_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);

    static {
        BROKER.createTopics(TopicDefinitions.all(2, (short) 1));
    }

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:postgresql://127.0.0.1:5432/" + DATABASE);
        registry.add("spring.kafka.bootstrap-servers", BROKER::bootstrapServers);
        registry.add("credit.redis-url", () -> "redis://127.0.0.1:6379/14");
        registry.add("credit.auth.jwt-secret", () -> "application-test-secret-0123456789abcdef");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        BROKER.close();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
        }
    }

    @LocalManagementPort
    int managementPort;

    @Autowired
    BalanceReader balances;

    @Test
    void aDebitPublishedToKafkaLowersTheBalanceOnceAndHealthIsUp() throws Exception {
        Instant now = Instant.now();
        Debit debit = Debit.newBuilder().setEventId("app-test-1").setUserId("app@example.com").setAmountNanos(3_750_000)
                .setModel("gpt-4o").setProvider("openai").setInputTokens(1000).setOutputTokens(0).setPowerLevel("balanced")
                .setTier("free").setOccurredAt(now).setPricedAt(now).setPriceVersion("2025-11-01").build();
        try (KafkaProducer<String, Debit> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.bootstrapServers()),
                new StringSerializer(), AvroSerde.of(Debit.class).serializer())) {
            producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, debit.getUserId(), debit)).get();
            producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, debit.getUserId(), debit)).get();
        }

        Awaitility.await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(balances.balanceOf("app@example.com")).isEqualTo(Credits.parse("-0.00375")));

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"debitAppliers\":\"running\"");
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("credit_applier_debits_applied_total 1.0", "credit_applier_debits_already_recorded_total 1.0",
                "credit_cache_requests_total");
    }
}
