package io.llmmetering.local;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class FreePortsTest {

    @Test
    void portsAreNeverHandedOutTwiceAndComeFromBelowTheKernelsEphemeralRange() throws Exception {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        int ephemeralStart = Files.exists(range) ? Integer.parseInt(Files.readAllLines(range).get(0).split("\\s+")[0]) : 32768;
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int port = FreePorts.one();
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            assertThat(port).isBetween(10000, ephemeralStart - 1);
        }
    }

    @Test
    void aPairIsTwoFreePortsInARowNeitherHandedOutAgain() throws Exception {
        int first = FreePorts.pair();
        try (ServerSocket broker = new ServerSocket(); ServerSocket controller = new ServerSocket()) {
            broker.bind(new InetSocketAddress("127.0.0.1", first));
            controller.bind(new InetSocketAddress("127.0.0.1", first + 1));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(FreePorts.one()).isNotIn(first, first + 1);
        }
    }
}
