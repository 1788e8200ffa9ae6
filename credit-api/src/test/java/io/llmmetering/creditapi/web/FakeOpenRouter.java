package io.llmmetering.creditapi.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A local stand-in for OpenRouter's generation and activity APIs, answering in their recorded shapes for the keys
 * it was told about, 401 for any other key.
 */
final class FakeOpenRouter implements AutoCloseable {

    record Generation(String apiKey, String id, String totalCost, String model) {
    }

    record Activity(String apiKey, String date, String model, String usage, long requests) {
    }

    private final HttpServer server;
    final Map<String, Generation> generations = new ConcurrentHashMap<>();
    final List<Activity> activity = new java.util.concurrent.CopyOnWriteArrayList<>();
    final java.util.Set<String> keys = ConcurrentHashMap.newKeySet();

    FakeOpenRouter() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/generation", this::generation);
        server.createContext("/api/v1/activity", this::activity);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1";
    }

    private String authorizedKey(HttpExchange exchange) throws IOException {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String key = header == null ? null : header.replaceFirst("^Bearer ", "");
        if (key == null || !keys.contains(key)) {
            send(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"No auth credentials found\"}}");
            return null;
        }
        return key;
    }

    private void generation(HttpExchange exchange) throws IOException {
        String key = authorizedKey(exchange);
        if (key == null) {
            return;
        }
        String id = URLDecoder.decode(exchange.getRequestURI().getQuery().replaceFirst("^id=", ""), StandardCharsets.UTF_8);
        Generation generation = generations.get(id);
        if (generation == null || !generation.apiKey().equals(key)) {
            send(exchange, 404, "{\"error\":{\"code\":404,\"message\":\"Generation not found\"}}");
            return;
        }
        send(exchange, 200, "{\"data\":{\"id\":\"" + id + "\",\"total_cost\":" + generation.totalCost() + ",\"created_at\":\"2026-11-25T10:00:00Z\","
                + "\"model\":\"" + generation.model() + "\",\"origin\":\"\",\"usage\":" + generation.totalCost() + ",\"is_byok\":false,"
                + "\"upstream_id\":\"chatcmpl-1\",\"cache_discount\":null,\"app_id\":null,\"streamed\":true,\"cancelled\":false,"
                + "\"provider_name\":\"OpenAI\",\"latency\":800,\"moderation_latency\":null,\"generation_time\":700,\"finish_reason\":\"stop\","
                + "\"native_finish_reason\":\"stop\",\"tokens_prompt\":1000,\"tokens_completion\":200,\"native_tokens_prompt\":1000,"
                + "\"native_tokens_completion\":200,\"native_tokens_reasoning\":0,\"num_media_prompt\":null,\"num_media_completion\":null,"
                + "\"num_search_results\":null}}");
    }

    private void activity(HttpExchange exchange) throws IOException {
        String key = authorizedKey(exchange);
        if (key == null) {
            return;
        }
        String date = exchange.getRequestURI().getQuery().replaceFirst("^date=", "");
        StringBuilder rows = new StringBuilder();
        for (Activity row : activity) {
            if (row.apiKey().equals(key) && row.date().equals(date)) {
                rows.append(rows.isEmpty() ? "" : ",").append("{\"date\":\"").append(date).append(" 00:00:00\",\"model\":\"").append(row.model())
                        .append("\",\"model_permaslug\":\"").append(row.model()).append("\",\"endpoint_id\":\"e-1\",\"provider_name\":\"OpenAI\",")
                        .append("\"usage\":").append(row.usage()).append(",\"byok_usage_inference\":0,\"requests\":").append(row.requests())
                        .append(",\"prompt_tokens\":1000,\"completion_tokens\":200,\"reasoning_tokens\":0}");
            }
        }
        send(exchange, 200, "{\"data\":[" + rows + "]}");
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
