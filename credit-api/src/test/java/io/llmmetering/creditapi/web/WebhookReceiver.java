package io.llmmetering.creditapi.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A receiver as an integrator writes one: verifies each request's Standard Webhooks signature (written here from
 * the convention, not with the service's code) and its timestamp, and handles each {@code webhook-id} once. It
 * refuses its first {@code failFirst} requests with a 503, and can answer slowly, hugely or with a redirect.
 */
final class WebhookReceiver implements AutoCloseable {

    enum Behaviour { NORMAL, SLOW, HUGE, REDIRECT }

    record Received(String id, long timestamp, String signature, String body, boolean verified) {
    }

    private final HttpServer server;
    private volatile String secret;
    private final AtomicInteger failFirst;
    private final Behaviour behaviour;
    final List<Received> requests = new CopyOnWriteArrayList<>();
    final Set<String> handledOnce = ConcurrentHashMap.newKeySet();
    final AtomicInteger redirectTargetHits = new AtomicInteger();

    WebhookReceiver(int failFirst, Behaviour behaviour) throws IOException {
        this.failFirst = new AtomicInteger(failFirst);
        this.behaviour = behaviour;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/hook", this::hook);
        server.createContext("/elsewhere", exchange -> {
            redirectTargetHits.incrementAndGet();
            answer(exchange, 200, "followed");
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    void secret(String secret) {
        this.secret = secret;
    }

    private void hook(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String id = exchange.getRequestHeaders().getFirst("webhook-id");
        long timestamp = Long.parseLong(exchange.getRequestHeaders().getFirst("webhook-timestamp"));
        String signature = exchange.getRequestHeaders().getFirst("webhook-signature");
        boolean verified = verifies(id, timestamp, signature, body) && Math.abs(System.currentTimeMillis() / 1000 - timestamp) <= 300;
        requests.add(new Received(id, timestamp, signature, body, verified));
        switch (behaviour) {
            case SLOW -> sleep(5_000);
            case HUGE -> {
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
                    for (int i = 0; i < 160; i++) {
                        out.write(chunk);
                    }
                } catch (IOException closedBySender) {
                    // the sender stops reading after its first kilobytes
                }
                handledOnce.add(id);
                return;
            }
            case REDIRECT -> {
                exchange.getResponseHeaders().add("Location", "/elsewhere");
                answer(exchange, 302, "");
                return;
            }
            default -> { }
        }
        if (failFirst.getAndDecrement() > 0) {
            answer(exchange, 503, "not yet");
            return;
        }
        if (!verified) {
            answer(exchange, 401, "bad signature");
            return;
        }
        handledOnce.add(id);
        answer(exchange, 204, "");
    }

    private boolean verifies(String id, long timestamp, String signature, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            String expected = "v1," + Base64.getEncoder().encodeToString(mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
            return List.of(signature.split(" ")).contains(expected);
        } catch (Exception e) {
            return false;
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Map<String, Long> attemptsById() {
        return requests.stream().collect(java.util.stream.Collectors.groupingBy(Received::id, java.util.stream.Collectors.counting()));
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
