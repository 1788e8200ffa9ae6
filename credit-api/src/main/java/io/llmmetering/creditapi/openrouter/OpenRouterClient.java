package io.llmmetering.creditapi.openrouter;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two OpenRouter APIs reconciliation reads, at {@code OPENROUTER_API_BASE_URL}: one generation's reported
 * cost ({@code GET /generation?id=}) and a day's activity per model ({@code GET /activity?date=}).
 */
public final class OpenRouterClient {

    /** Costs are read as the decimals OpenRouter writes: through a double, 0.000123 would not stay 0.000123. */
    private static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final URI baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public OpenRouterClient(String baseUrl) {
        this.baseUrl = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    }

    public record Generation(String id, BigDecimal totalCost, String model) {
    }

    public record ActivityRow(LocalDate date, String model, BigDecimal usage, long requests) {
    }

    /** The provider's record of one generation, or empty when it has none. */
    public Optional<Generation> generation(String apiKey, String id) throws IOException, InterruptedException {
        HttpResponse<String> response = get(apiKey, "generation?id=" + URLEncoder.encode(id, StandardCharsets.UTF_8));
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        JsonNode data = body(response).path("data");
        return Optional.of(new Generation(data.path("id").asString(id), data.path("total_cost").decimalValue(), data.path("model").asString("")));
    }

    public List<ActivityRow> activity(String apiKey, LocalDate date) throws IOException, InterruptedException {
        JsonNode data = body(get(apiKey, "activity?date=" + date)).path("data");
        List<ActivityRow> rows = new ArrayList<>();
        for (JsonNode row : data) {
            rows.add(new ActivityRow(LocalDate.parse(row.path("date").asString(date.toString()).substring(0, 10)), row.path("model").asString(""),
                    row.path("usage").decimalValue(), row.path("requests").asLong()));
        }
        return rows;
    }

    private HttpResponse<String> get(String apiKey, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(baseUrl.resolve(path)).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + apiKey).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode body(HttpResponse<String> response) throws IOException {
        if (response.statusCode() != 200) {
            throw new IOException("OpenRouter answered " + response.statusCode() + " for " + response.uri().getPath());
        }
        return JSON.readTree(response.body());
    }
}
