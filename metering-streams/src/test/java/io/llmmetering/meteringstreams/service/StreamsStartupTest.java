package io.llmmetering.meteringstreams.service;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service answers before its topology runs: with no broker to load the price book from, health says why it
 * is not ready, and a stop does not wait for a broker that never answers.
 */
@Tag("integration")
class StreamsStartupTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void withNoBrokerTheServiceAnswersOutOfServiceAndStopsPromptly(@TempDir Path stateDir) throws Exception {
        int deadBroker;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadBroker = socket.getLocalPort();
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(MeteringStreamsApplication.class).run(
                "--server.port=0", "--server.address=127.0.0.1", "--management.server.port=0",
                "--spring.kafka.bootstrap-servers=127.0.0.1:" + deadBroker, "--metering.streams.create-topics=false",
                "--metering.streams.state-dir=" + stateDir, "--metering.streams.application-id=metering-startup-test");
        try {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).contains("OUT_OF_SERVICE");
            assertThat(context.getBean(StreamsRuntime.class).failure()).isNull();
        } finally {
            long closing = System.nanoTime();
            context.close();
            assertThat(Duration.ofNanos(System.nanoTime() - closing)).as("close, with the start still waiting for the broker")
                    .isLessThan(Duration.ofSeconds(30));
        }
    }
}
