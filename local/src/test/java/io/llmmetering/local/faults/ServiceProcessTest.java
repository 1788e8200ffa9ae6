package io.llmmetering.local.faults;

import io.llmmetering.local.FreePorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** CI keeps a failed build's output, not the services' logs: a service that cannot start must say why in the failure. */
@Tag("integration")
class ServiceProcessTest {

    @Test
    void aServiceThatExitsAtStartupIsReportedWithTheReasonFromItsLog(@TempDir Path dir) throws Exception {
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", FreePorts.one()));
            try (ServiceProcess ingest = new ServiceProcess("usage-ingest-squatted", "usage-ingest", squatter.getLocalPort(),
                    List.of("--spring.kafka.bootstrap-servers=127.0.0.1:" + FreePorts.one(),
                            "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/postgres", "--spring.datasource.username=postgres"), dir)) {
                assertThatThrownBy(() -> ingest.start().awaitHealthy(Duration.ofMinutes(2)))
                        .hasMessageContaining("usage-ingest-squatted exited with 1")
                        .hasMessageContaining("Port " + squatter.getLocalPort() + " was already in use");
            }
        }
    }

    /** Creating its topics is the topology's first step: with no broker to create them on, it exits for a restart, saying why. */
    @Test
    void aTopologyThatCannotCreateItsTopicsExitsWithTheReason(@TempDir Path dir) throws Exception {
        try (ServiceProcess streams = new ServiceProcess("metering-streams-no-broker", "metering-streams", FreePorts.one(),
                List.of("--spring.kafka.bootstrap-servers=127.0.0.1:" + FreePorts.one(),
                        "--spring.kafka.admin.properties.default.api.timeout.ms=3000", "--spring.kafka.admin.properties.request.timeout.ms=2000",
                        "--metering.streams.state-dir=" + dir.resolve("state")), dir)) {
            assertThatThrownBy(() -> streams.start().awaitHealthy(Duration.ofMinutes(2)))
                    .hasMessageContaining("metering-streams-no-broker exited with 1")
                    .hasMessageContaining("streams failed to start")
                    .hasMessageContaining("cannot create topic")
                    .hasMessageContaining("TimeoutException");
        }
    }
}
