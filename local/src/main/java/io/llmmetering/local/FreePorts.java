package io.llmmetering.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Ports free on 127.0.0.1 right now, for runs of the whole system beside others (tests, benchmarks). */
public final class FreePorts {

    private FreePorts() {
    }

    public static int one() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    /** A port whose successor is free too: the in-JVM broker's controller listens on port + 1. */
    public static int pair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = one();
            try (ServerSocket next = new ServerSocket()) {
                next.bind(new InetSocketAddress("127.0.0.1", port + 1));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free pair of ports");
    }
}
