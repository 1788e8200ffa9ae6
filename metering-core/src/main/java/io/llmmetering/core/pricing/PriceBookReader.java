package io.llmmetering.core.pricing;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads price books: our own format (prices per 1M tokens, as providers list them, with tiers and power
 * levels) and LiteLLM's {@code model_prices_and_context_window.json} (prices per token, models only), so
 * operators can reuse the table they already maintain.
 */
public final class PriceBookReader {

    public static final String DEFAULT_RESOURCE = "default-price-book.json";
    private static final BigDecimal TOKENS_PER_1K = BigDecimal.valueOf(1000);

    // Decimals are read as BigDecimal: a price read through a double is already wrong in its last digits.
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private PriceBookReader() {
    }

    /** The price book that ships with the system. */
    public static PriceBook defaultPriceBook() {
        try (InputStream in = PriceBookReader.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("default price book resource " + DEFAULT_RESOURCE + " is missing");
            }
            return readNative(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Our format: {@code version}, {@code power_levels}, {@code tiers} and {@code models} priced per 1M tokens. */
    public static PriceBook readNative(InputStream json) {
        JsonNode root = parse(json);
        String version = requiredText(root, "version", "price book");
        List<PowerLevel> powerLevels = new ArrayList<>();
        requiredObject(root, "power_levels").properties()
                .forEach(e -> powerLevels.add(new PowerLevel(e.getKey(), decimal(e.getValue(), "power level " + e.getKey()))));
        List<Tier> tiers = new ArrayList<>();
        requiredObject(root, "tiers").properties()
                .forEach(e -> tiers.add(new Tier(e.getKey(), decimal(e.getValue(), "tier " + e.getKey()))));
        List<PricedModel> models = new ArrayList<>();
        Map<String, String> aliases = new LinkedHashMap<>();
        for (JsonNode model : root.path("models")) {
            String id = requiredText(model, "model", "model entry");
            String what = "model " + id;
            models.add(new PricedModel(id, requiredText(model, "provider", what),
                    perMillionToPer1k(model, "input_per_1m", what).orElseThrow(() -> missing("input_per_1m", what)),
                    perMillionToPer1k(model, "output_per_1m", what).orElseThrow(() -> missing("output_per_1m", what)),
                    perMillionToPer1k(model, "cached_input_per_1m", what),
                    perMillionToPer1k(model, "blended_per_1m", what)));
            model.path("aliases").forEach(alias -> aliases.put(alias.asString(), id));
        }
        if (models.isEmpty()) {
            throw new IllegalArgumentException("price book has no models");
        }
        return new PriceBook(version, models, aliases, powerLevels, tiers);
    }

    /**
     * Models from LiteLLM's price table, priced per token there; entries without token prices (images,
     * audio, rerankers) and the {@code sample_spec} entry are skipped. Tiers and power levels come from {@code base}.
     */
    public static PriceBook readLiteLlm(InputStream json, PriceBook base, String version) {
        JsonNode root = parse(json);
        List<PricedModel> models = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            JsonNode spec = entry.getValue();
            if (entry.getKey().equals("sample_spec") || !spec.path("input_cost_per_token").isNumber()
                    || !spec.path("output_cost_per_token").isNumber()) {
                continue;
            }
            String provider = spec.path("litellm_provider").isString() ? spec.path("litellm_provider").asString() : "unknown";
            BigDecimal input = spec.path("input_cost_per_token").decimalValue().multiply(TOKENS_PER_1K);
            BigDecimal output = spec.path("output_cost_per_token").decimalValue().multiply(TOKENS_PER_1K);
            Optional<BigDecimal> cached = spec.path("cache_read_input_token_cost").isNumber()
                    ? Optional.of(spec.path("cache_read_input_token_cost").decimalValue().multiply(TOKENS_PER_1K))
                    : Optional.empty();
            models.add(new PricedModel(entry.getKey(), provider, input, output, cached, Optional.empty()));
        }
        return base.withModels(models, version);
    }

    private static JsonNode parse(InputStream json) {
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("price book must be a JSON object");
            }
            return root;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("price book is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static Optional<BigDecimal> perMillionToPer1k(JsonNode node, String field, String what) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return Optional.empty();
        }
        return Optional.of(decimal(value, what + " " + field).movePointLeft(3));
    }

    private static BigDecimal decimal(JsonNode value, String what) {
        try {
            if (value.isString()) {
                return new BigDecimal(value.asString());
            }
            if (value.isNumber()) {
                return value.decimalValue();
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new IllegalArgumentException(what + " must be a decimal number, was " + value);
    }

    private static String requiredText(JsonNode node, String field, String what) {
        JsonNode value = node.path(field);
        if (!value.isString() || value.asString().isBlank()) {
            throw missing(field, what);
        }
        return value.asString();
    }

    private static JsonNode requiredObject(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (!value.isObject()) {
            throw missing(field, "price book");
        }
        return value;
    }

    private static IllegalArgumentException missing(String field, String what) {
        return new IllegalArgumentException(what + " has no '" + field + "'");
    }
}
