package io.llmmetering.meteringstreams.service;

import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The service as deployed: it provisions topics, seeds the price book, runs, and says so on its health and metrics endpoints. */
@Tag("integration")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeteringStreamsApplicationTest {

    private static final EmbeddedKafkaBroker BROKER = EmbeddedKafkaBroker.builder().build().start();

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) throws Exception {
        registry.add("spring.kafka.bootstrap-servers", BROKER::bootstrapServers);
        registry.add("metering.streams.state-dir", Files.createTempDirectory("streams-app-state")::toString);
        registry.add("metering.streams.application-id", () -> "metering-app-test");
    }

    /**
     * The topology first, then its broker: the other way round, Streams waits out its close timeout when the
     * cached context closes at JVM exit, and Surefire kills the fork after 30 s. Closing twice is harmless.
     */
    @AfterAll
    void stopTopologyThenBroker() {
        runtime.close();
        BROKER.close();
    }

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    StreamsRuntime runtime;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void healthIsUpOnceTheStreamsAreRunning() throws Exception {
        runtime.awaitRunning(Duration.ofSeconds(60));
        HttpResponse<String> health = get(managementPort, "/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"state\":\"RUNNING\"");
    }

    /** The service's own port tells a load balancer UP or DOWN and nothing more; metrics are on the management port. */
    @Test
    @Tag("security")
    void theServicePortAnswersHealthWithoutDetailsAndNoOtherActuator() throws Exception {
        runtime.awaitRunning(Duration.ofSeconds(60));
        HttpResponse<String> health = get(port, "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
        for (String path : new String[] {"/actuator/prometheus", "/actuator/metrics", "/actuator/health", "/actuator/info", "/actuator"}) {
            assertThat(get(port, path).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(managementPort).isNotEqualTo(port);
    }

    @Test
    void streamsMetricsAreExportedForPrometheus() throws Exception {
        runtime.awaitRunning(Duration.ofSeconds(60));
        HttpResponse<String> metrics = get(managementPort, "/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("kafka_stream");
    }

    /** The topology's metrics the dashboard and the alert rules query are the names this service exports. */
    @Test
    void theTopologyMetricsTheDashboardAndAlertsQueryAreExported() throws Exception {
        runtime.awaitRunning(Duration.ofSeconds(60));
        java.util.Set<String> queried = new java.util.TreeSet<>();
        java.util.regex.Matcher names = java.util.regex.Pattern.compile("(kafka_stream_[a-z_]+)").matcher(
                java.nio.file.Files.readString(java.nio.file.Path.of("..", "deploy", "grafana", "dashboards", "llm-metering.json"))
                        + java.nio.file.Files.readString(java.nio.file.Path.of("..", "deploy", "prometheus", "alerts.yml")));
        while (names.find()) {
            queried.add(names.group(1));
        }
        assertThat(queried).contains("kafka_stream_metering_events_priced_total", "kafka_stream_metering_duplicate_events_dropped_total",
                "kafka_stream_metering_events_dead_lettered_total");
        // Micrometer picks up metrics Kafka adds after start (the processors' sensors) on its refresh, every 15 s
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            String exported = get(managementPort, "/actuator/prometheus").body();
            for (String metric : queried) {
                assertThat(exported).as(metric).containsPattern("(?m)^" + metric + "[{ ]");
            }
        });
    }

    @Test
    void thePriceBookWasSeededIntoItsTopic() {
        runtime.awaitRunning(Duration.ofSeconds(60)); // the service creates its topics and seeds them as it starts the topology
        assertThat(new TopicProvisioner(io.llmmetering.schemas.client.KafkaClients.plaintext(BROKER.bootstrapServers()))
                .seedPriceBookIfEmpty(io.llmmetering.core.pricing.PriceBookReader.defaultPriceBook())).isZero();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
