package io.llmmetering.core.pricing;

import io.llmmetering.core.money.Credits;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PriceBookReaderTest {

    @Test
    void defaultBookCoversAtLeast25ModelsOfTheMajorProviders() {
        PriceBook book = PriceBookReader.defaultPriceBook();
        assertThat(book.models()).hasSizeGreaterThanOrEqualTo(25);
        Set<String> providers = book.models().stream().map(PricedModel::provider).collect(Collectors.toSet());
        assertThat(providers).contains("openai", "anthropic", "google", "mistral", "groq");
    }

    @Test
    void defaultBookHasTheSeedsTiersAndPowerLevels() {
        PriceBook book = PriceBookReader.defaultPriceBook();
        assertThat(book.tiers()).extracting(Tier::name).containsExactly("free", "starter", "professional", "enterprise");
        assertThat(book.powerLevels()).extracting(PowerLevel::name).containsExactly("eco", "balanced", "precision");
        assertThat(book.powerLevel(null).multiplier()).isEqualByComparingTo("1");
    }

    @Test
    void defaultBookPricesArePerThousandTokens() {
        PricedModel gpt4o = PriceBookReader.defaultPriceBook().model("gpt-4o");
        assertThat(gpt4o.inputPer1k()).isEqualByComparingTo("0.0025");
        assertThat(gpt4o.outputPer1k()).isEqualByComparingTo("0.01");
        assertThat(gpt4o.cachedInputPer1k()).contains(new BigDecimal("0.00125"));
    }

    @Test
    void readsLiteLlmsPriceTableExactly() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/litellm-model-prices-sample.json")) {
            PriceBook book = PriceBookReader.readLiteLlm(in, PriceBookReader.defaultPriceBook(), "litellm-test");
            assertThat(book.version()).isEqualTo("litellm-test");
            PricedModel finetune = book.model("my-private-finetune");
            assertThat(finetune.inputPer1k()).isEqualByComparingTo("0.0001234");
            assertThat(finetune.outputPer1k()).isEqualByComparingTo("0.0004567");
            assertThat(finetune.provider()).isEqualTo("custom_openai");
            PricedModel sonnet = book.model("anthropic/claude-sonnet-4-5-20250929");
            assertThat(sonnet.cachedInputPer1k()).contains(new BigDecimal("0.0003"));
            CostCalculator calculator = new CostCalculator(book);
            assertThat(calculator.costOfUsage("my-private-finetune", TokenUsage.of(1000, 1000), null, null))
                    .isEqualTo(Credits.parse("0.0005801"));
        }
    }

    @Test
    void liteLlmEntriesWithoutTokenPricesAreSkipped() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/litellm-model-prices-sample.json")) {
            PriceBook book = PriceBookReader.readLiteLlm(in, PriceBookReader.defaultPriceBook(), "v");
            assertThat(book.hasModel("dall-e-3")).isFalse();
            assertThat(book.hasModel("sample_spec")).isFalse();
        }
    }

    @Test
    void malformedJsonIsAClearError() {
        assertThatThrownBy(() -> PriceBookReader.readNative(stream("{\"version\": ")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> PriceBookReader.readNative(stream("[1,2]")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON object");
    }

    @Test
    void aModelWithoutAnOutputPriceIsRejected() {
        String json = """
                {"version":"v","power_levels":{"balanced":"1"},"tiers":{"free":"1"},
                 "models":[{"model":"m","provider":"p","input_per_1m":"1"}]}""";
        assertThatThrownBy(() -> PriceBookReader.readNative(stream(json)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output_per_1m");
    }

    @Test
    void negativePricesAreRejected() {
        String json = """
                {"version":"v","power_levels":{"balanced":"1"},"tiers":{"free":"1"},
                 "models":[{"model":"m","provider":"p","input_per_1m":"-1","output_per_1m":"1"}]}""";
        assertThatThrownBy(() -> PriceBookReader.readNative(stream(json))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBookWithoutTheDefaultPowerLevelIsRejected() {
        String json = """
                {"version":"v","power_levels":{"eco":"0.5"},"tiers":{"free":"1"},
                 "models":[{"model":"m","provider":"p","input_per_1m":"1","output_per_1m":"1"}]}""";
        assertThatThrownBy(() -> PriceBookReader.readNative(stream(json)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("balanced");
    }

    @Test
    void aPriceChangeMakesANewBookAndLeavesTheOldOneAlone() {
        PriceBook old = PriceBookReader.defaultPriceBook();
        PriceBook changed = old.withModel(PricedModel.of("gpt-4o", "openai", new BigDecimal("0.005"), new BigDecimal("0.015")), "v2");
        assertThat(changed.version()).isEqualTo("v2");
        assertThat(changed.model("gpt-4o").inputPer1k()).isEqualByComparingTo("0.005");
        assertThat(old.model("gpt-4o").inputPer1k()).isEqualByComparingTo("0.0025");
        assertThat(changed.model("gpt-4o-2024-08-06").inputPer1k()).isEqualByComparingTo("0.005");
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }
}
