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
}
