package io.llmmetering.core.pricing;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Importing LiteLLM's price table (a trimmed copy of the real file, its real shape) or our own price book. */
class PriceBookImportTest {

    private static final PriceBook DEFAULT = PriceBookReader.defaultPriceBook();

    private static PriceBookImport.Plan liteLlm() throws Exception {
        try (InputStream json = PriceBookImportTest.class.getResourceAsStream("/litellm/model_prices_trimmed.json")) {
            return PriceBookImport.plan(DEFAULT, json);
        }
    }

    @Test
    void liteLlmsTableIsComparedModelByModelWithTheBookInForce() throws Exception {
        PriceBookImport.Plan plan = liteLlm();
        assertThat(plan.format()).isEqualTo("litellm");
        // gpt-4o at the default book's price; its dated snapshot is an alias there at the same price
        assertThat(plan.unchanged()).containsExactlyInAnyOrder("gpt-4o", "gpt-4o-2024-08-06");
        assertThat(plan.added()).extracting(PricedModel::model).contains("anthropic/claude-3-5-sonnet-20241022",
                "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", "openrouter/anthropic/claude-3-haiku", "gemini/gemini-1.5-flash",
                "text-embedding-3-small");
        PricedModel bedrock = plan.prices().stream().filter(p -> p.model().startsWith("bedrock/")).findFirst().orElseThrow();
        assertThat(bedrock.provider()).isEqualTo("bedrock");
        assertThat(bedrock.inputPer1k()).isEqualByComparingTo("0.003");
        assertThat(bedrock.outputPer1k()).isEqualByComparingTo("0.015");
        assertThat(bedrock.cachedInputPer1k()).isEmpty();
    }

    @Test
    void perTokenPricesBecomeExactPricesPer1kTokensWithoutADouble() throws Exception {
        PricedModel haiku = liteLlm().prices().stream().filter(p -> p.model().equals("openrouter/anthropic/claude-3-haiku")).findFirst().orElseThrow();
        assertThat(haiku.inputPer1k()).isEqualTo(new BigDecimal("0.00025"));
        assertThat(haiku.outputPer1k()).isEqualTo(new BigDecimal("0.00125"));
        PricedModel sonnet = liteLlm().prices().stream().filter(p -> p.model().equals("anthropic/claude-3-5-sonnet-20241022")).findFirst().orElseThrow();
        assertThat(sonnet.cachedInputPer1k()).hasValueSatisfying(rate -> assertThat(rate).isEqualByComparingTo("0.0003"));
    }

    @Test
    void entriesThatAreNotPricedPerTokenAreSkippedWithTheirReason() throws Exception {
        Map<String, PriceBookImport.SkipReason> skipped = liteLlm().skipped().stream()
                .collect(Collectors.toMap(PriceBookImport.Skipped::model, PriceBookImport.Skipped::reason));
        assertThat(skipped).containsEntry("sample_spec", PriceBookImport.SkipReason.NOT_A_MODEL)
                .containsEntry("dall-e-3", PriceBookImport.SkipReason.NOT_PRICED_BY_TOKENS)
                .containsEntry("whisper-1", PriceBookImport.SkipReason.NOT_PRICED_BY_TOKENS)
                .containsEntry("tts-1", PriceBookImport.SkipReason.NOT_PRICED_BY_TOKENS)
                .containsEntry("azure/gpt-4-vision", PriceBookImport.SkipReason.NO_PER_TOKEN_PRICE)
                .containsEntry("mistral/broken-price", PriceBookImport.SkipReason.INVALID_PRICE);
        assertThat(liteLlm().prices()).extracting(PricedModel::model).doesNotContainAnyElementsOf(skipped.keySet());
    }

    @Test
    void aChangedPriceIsAChangeWithBeforeAndAfterAndAnAliasAtAnotherPriceBecomesItsOwnModel() {
        String json = """
                {"gpt-4o": {"input_cost_per_token": 0.000003, "output_cost_per_token": 0.00001, "cache_read_input_token_cost": 0.00000125,
                            "litellm_provider": "openai", "mode": "chat"},
                 "gpt-4o-2024-11-20": {"input_cost_per_token": 0.000005, "output_cost_per_token": 0.00002, "litellm_provider": "openai"}}
                """;
        PriceBookImport.Plan plan = PriceBookImport.plan(DEFAULT, new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(plan.changed()).singleElement().satisfies(change -> {
            assertThat(change.before().inputPer1k()).isEqualByComparingTo("0.0025");
            assertThat(change.after().inputPer1k()).isEqualByComparingTo("0.003");
        });
        assertThat(plan.added()).extracting(PricedModel::model).containsExactly("gpt-4o-2024-11-20");
        PriceBook after = DEFAULT.withModels(plan.prices(), "imported");
        assertThat(after.model("gpt-4o-2024-11-20").inputPer1k()).isEqualByComparingTo("0.005");
        assertThat(after.model("gpt-4o").inputPer1k()).isEqualByComparingTo("0.003");
    }

    @Test
    void ourOwnPriceBookImportsToo() throws Exception {
        try (InputStream json = PriceBookReader.class.getResourceAsStream(PriceBookReader.DEFAULT_RESOURCE)) {
            PriceBookImport.Plan plan = PriceBookImport.plan(DEFAULT, json);
            assertThat(plan.format()).isEqualTo("llm-metering");
            assertThat(plan.added()).isEmpty();
            assertThat(plan.changed()).isEmpty();
            assertThat(plan.unchanged()).hasSize(DEFAULT.models().size());
        }
    }

    @Test
    void whatIsNotAPriceBookIsRefused() {
        for (String bad : new String[] {"[]", "not json", "{\"models\": [{\"model\": \"x\"}]}", "42", "{\"models\": 7}", "{}",
                "{\"a\": 1, \"sample_spec\": {}}"}) {
            assertThatThrownBy(() -> PriceBookImport.plan(DEFAULT, new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8))))
                    .as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("security")
    void anAbsurdExponentIsSkippedWithAShortReasonNotABillionCharacters() {
        String table = "{\"huge\":{\"input_cost_per_token\":1e999999999,\"output_cost_per_token\":1,\"mode\":\"chat\"}}";
        PriceBookImport.Plan plan = PriceBookImport.plan(DEFAULT, new ByteArrayInputStream(table.getBytes(StandardCharsets.UTF_8)));
        assertThat(plan.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.reason()).isEqualTo(PriceBookImport.SkipReason.INVALID_PRICE);
            assertThat(skipped.detail()).hasSizeLessThan(200);
        });
    }

    @Test
    @org.junit.jupiter.api.Tag("security")
    void everyPathThatSetsAPriceHasTheSameBounds() {
        String nativeBook = """
                {"version":"v","power_levels":{"balanced":1},"tiers":{"free":1},
                 "models":[{"model":"m","provider":"p","input_per_1m":%s,"output_per_1m":1}]}""";
        // 10^12 per million tokens is 10^9 per 1k: past PricedModel.MAX_RATE_PER_1K
        assertThatThrownBy(() -> PriceBookReader.readNative(new ByteArrayInputStream(nativeBook.formatted("1000000000000")
                .getBytes(StandardCharsets.UTF_8)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input price");
        assertThatThrownBy(() -> PricedModel.of("m", "p", new BigDecimal("1000000.000001"), BigDecimal.ONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PricedModel.of("m", "p", new BigDecimal("1e-16"), BigDecimal.ONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(PricedModel.of("m", "p", PricedModel.MAX_RATE_PER_1K, new BigDecimal("1e-15")).inputPer1k())
                .isEqualByComparingTo(PricedModel.MAX_RATE_PER_1K);
    }
}
