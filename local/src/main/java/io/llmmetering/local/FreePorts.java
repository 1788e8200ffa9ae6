package io.llmmetering.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports free on 127.0.0.1 right now, for runs of the whole system beside others (tests, benchmarks).
 *
 * <p>A port asked of the kernel (bind to 0) comes from the ephemeral range, and stays the kernel's to give: to the
 * next bind to 0, or to any process's outgoing connection (a JDBC pool, a Kafka client) in the seconds before the
 * service it was meant for binds it, or while that service is killed and started again. That service then fails to
 * start. So ports come from below the ephemeral range, where the kernel never picks one, and this JVM never hands
 * out the same port twice.
 */
public final class FreePorts {

    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** Linux's default ephemeral range starts here; other systems' start higher. */
    private static final int DEFAULT_EPHEMERAL_START = 32768;
    private static final int LOWEST = 10000;
    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {
    }

    public static int one() throws IOException {
        return consecutive(1);
    }

    /** A port whose successor is free too: the in-JVM broker's controller listens on port + 1. */
    public static int pair() throws IOException {
        return consecutive(2);
    }

    private static synchronized int consecutive(int count) throws IOException {
        int end = ephemeralStart();
        boolean roomBelow = end - LOWEST >= 1000;
        for (int attempt = 0; attempt < 1000; attempt++) {
            // where the ephemeral range leaves no room below it, the kernel's choice is the best there is
            int first = roomBelow ? ThreadLocalRandom.current().nextInt(LOWEST, end - count + 1) : kernelsChoice();
            if (allFree(first, count)) {
                for (int port = first; port < first + count; port++) {
                    handedOut.add(port);
                }
                return first;
            }
        }
        throw new IOException("no " + count + " free consecutive port(s) on 127.0.0.1");
    }

    private static boolean allFree(int first, int count) {
        for (int port = first; port < first + count; port++) {
            if (handedOut.contains(port) || !bindable(port)) {
                return false;
            }
        }
        return true;
    }

    private static int kernelsChoice() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static int ephemeralStart() {
        try {
            // readAllLines, not readString: a procfs file reports size 0, and readString then returns its first byte
            return Integer.parseInt(Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException notLinux) {
            return DEFAULT_EPHEMERAL_START;
        }
    }
}
