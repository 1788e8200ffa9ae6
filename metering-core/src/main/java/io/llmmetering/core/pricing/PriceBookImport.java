package io.llmmetering.core.pricing;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.InputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What importing a whole price book would change, before anything is changed: LiteLLM's
 * {@code model_prices_and_context_window.json} (what every LiteLLM user already keeps) or our own price-book JSON,
 * compared model by model with the book in force. Pure: the caller shows the plan, or publishes its changes.
 *
 * <p>LiteLLM's entries are taken as they are keyed there ({@code gpt-4o-2024-08-06},
 * {@code anthropic/claude-3-5-sonnet-20241022}), priced per token there and per 1,000 tokens here. An entry is
 * skipped, with its reason, when it has no per-token input and output price, when it prices images, audio,
 * moderation or reranking instead of tokens, or when a price is out of range; {@code sample_spec} is LiteLLM's
 * documentation of the format, not a model.
 */
public final class PriceBookImport {

    /**
     * LiteLLM's prices are in US dollars: above this per 1,000 tokens is a mistake in the file (its dearest model
     * is far below), though {@link PricedModel#MAX_RATE_PER_1K} would allow it for credits of another size.
     */
    static final BigDecimal MAX_RATE_PER_1K = BigDecimal.valueOf(1_000);
    private static final BigDecimal TOKENS_PER_1K = BigDecimal.valueOf(1_000);
    private static final Set<String> NOT_PRICED_BY_TOKENS = Set.of("image_generation", "image_edit", "video_generation",
            "audio_transcription", "audio_speech", "moderation", "moderations", "rerank", "search", "ocr");
    private static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private PriceBookImport() {
    }

    public enum SkipReason {
        /** No per-token input and output price (priced per image, per second, per character, or not at all). */
        NO_PER_TOKEN_PRICE,
        /** An image, audio, moderation or reranking model: its LiteLLM mode is not priced by tokens. */
        NOT_PRICED_BY_TOKENS,
        /** A price that is negative, not a number, or above {@link #MAX_RATE_PER_1K} per 1,000 tokens. */
        INVALID_PRICE,
        /** LiteLLM's sample_spec, or an id that cannot be a model id here. */
        NOT_A_MODEL;

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public record Skipped(String model, SkipReason reason, String detail) {
    }

    public record Change(PricedModel before, PricedModel after) {
    }

    /** What the import would do; {@link #prices()} are the models to publish (added and changed). */
    public record Plan(String format, List<PricedModel> added, List<Change> changed, List<String> unchanged, List<Skipped> skipped) {

        public List<PricedModel> prices() {
            List<PricedModel> prices = new ArrayList<>(added);
            changed.forEach(change -> prices.add(change.after()));
            return prices;
        }
    }

    /** Reads {@code json} in either format and compares it with {@code current}. */
    public static Plan plan(PriceBook current, InputStream json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("the price book is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the price book must be a JSON object");
        }
        if (root.has("models")) {
            if (!root.path("models").isArray()) {
                throw new IllegalArgumentException("a price book's 'models' must be an array");
            }
            return compare(current, "llm-metering", fromNative(root), List.of());
        }
        if (root.properties().stream().noneMatch(entry -> entry.getValue().isObject() && !entry.getKey().equals("sample_spec"))) {
            throw new IllegalArgumentException("not a price table: no model entries (LiteLLM's model_prices_and_context_window.json, "
                    + "or a price book with 'models')");
        }
        List<Skipped> skipped = new ArrayList<>();
        return compare(current, "litellm", fromLiteLlm(root, skipped), skipped);
    }

    private static List<PricedModel> fromNative(JsonNode root) {
        try (InputStream again = new java.io.ByteArrayInputStream(JSON.writeValueAsBytes(root))) {
            return List.copyOf(PriceBookReader.readNative(again).models());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<PricedModel> fromLiteLlm(JsonNode root, List<Skipped> skipped) {
        List<PricedModel> prices = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            String id = entry.getKey();
            JsonNode spec = entry.getValue();
            if (id.equals("sample_spec") || !spec.isObject() || id.isBlank() || id.length() > 200 || id.chars().anyMatch(Character::isISOControl)) {
                skipped.add(new Skipped(id, SkipReason.NOT_A_MODEL, id.equals("sample_spec") ? "LiteLLM's description of the format" : "not a usable model id"));
                continue;
            }
            String mode = spec.path("mode").isString() ? spec.path("mode").asString() : "chat";
            if (NOT_PRICED_BY_TOKENS.contains(mode)) {
                skipped.add(new Skipped(id, SkipReason.NOT_PRICED_BY_TOKENS, "mode " + mode));
                continue;
            }
            if (!spec.path("input_cost_per_token").isNumber() || !spec.path("output_cost_per_token").isNumber()) {
                skipped.add(new Skipped(id, SkipReason.NO_PER_TOKEN_PRICE, "no input_cost_per_token and output_cost_per_token"));
                continue;
            }
            try {
                BigDecimal input = per1k(spec, "input_cost_per_token");
                BigDecimal output = per1k(spec, "output_cost_per_token");
                Optional<BigDecimal> cached = spec.path("cache_read_input_token_cost").isNumber()
                        ? Optional.of(per1k(spec, "cache_read_input_token_cost")) : Optional.empty();
                String provider = spec.path("litellm_provider").isString() ? spec.path("litellm_provider").asString() : "unknown";
                prices.add(new PricedModel(id, provider, input, output, cached, Optional.empty()));
            } catch (IllegalArgumentException e) {
                skipped.add(new Skipped(id, SkipReason.INVALID_PRICE, e.getMessage()));
            }
        }
        return prices;
    }

    private static BigDecimal per1k(JsonNode spec, String field) {
        BigDecimal perToken = spec.path(field).decimalValue();
        BigDecimal rate = perToken.multiply(TOKENS_PER_1K).stripTrailingZeros();
        if (rate.compareTo(MAX_RATE_PER_1K) > 0 || !PricedModel.isValidRate(rate)) {
            // never toPlainString(): 1e999999999 would be a billion characters, even in a dry run
            throw new IllegalArgumentException(field + " " + perToken + " is out of range");
        }
        return rate;
    }

    private static Plan compare(PriceBook current, String format, List<PricedModel> imported, List<Skipped> skipped) {
        List<PricedModel> added = new ArrayList<>();
        List<Change> changed = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        // by exact id: "bedrock/claude-..." is a model of its own, not the "claude-..." a lookup would fall back to
        Map<String, PricedModel> priced = new java.util.HashMap<>();
        current.models().forEach(model -> priced.put(model.model().strip().toLowerCase(Locale.ROOT), model));
        current.aliases().forEach((alias, model) -> priced.putIfAbsent(alias.strip().toLowerCase(Locale.ROOT),
                priced.get(model.strip().toLowerCase(Locale.ROOT))));
        for (PricedModel price : imported) {
            PricedModel before = priced.get(price.model().strip().toLowerCase(Locale.ROOT));
            if (before == null) {
                added.add(price);
                continue;
            }
            if (!before.model().equalsIgnoreCase(price.model())) {
                // an alias here (a dated snapshot of a priced model): at the same price it stays an alias; at
                // another, it becomes a model of its own, which a lookup prefers to the alias
                if (samePrice(before, price)) {
                    unchanged.add(price.model());
                } else {
                    added.add(price);
                }
                continue;
            }
            if (samePrice(before, price)) {
                unchanged.add(price.model());
            } else {
                changed.add(new Change(before, price));
            }
        }
        return new Plan(format, List.copyOf(added), List.copyOf(changed), List.copyOf(unchanged), List.copyOf(skipped));
    }

    /** Equal rates are equal whatever their scale: 0.0025 and 0.00250 are one price. */
    private static boolean samePrice(PricedModel a, PricedModel b) {
        return a.inputPer1k().compareTo(b.inputPer1k()) == 0 && a.outputPer1k().compareTo(b.outputPer1k()) == 0
                && a.provider().equals(b.provider())
                && a.cachedInputPer1k().map(BigDecimal::stripTrailingZeros).equals(b.cachedInputPer1k().map(BigDecimal::stripTrailingZeros))
                && a.blendedPer1k().map(BigDecimal::stripTrailingZeros).equals(b.blendedPer1k().map(BigDecimal::stripTrailingZeros));
    }
}
