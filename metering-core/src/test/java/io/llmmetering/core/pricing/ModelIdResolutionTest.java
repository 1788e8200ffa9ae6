package io.llmmetering.core.pricing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Model ids as proxies send them resolve to the right price or are unknown: never to a wrong one. */
class ModelIdResolutionTest {

    private final PriceBook book = PriceBookReader.defaultPriceBook();

    @ParameterizedTest
    @CsvSource({
            "gpt-4o, gpt-4o",
            "GPT-4o , gpt-4o",
            "gpt-4o-2024-08-06, gpt-4o",
            "chatgpt-4o-latest, gpt-4o",
            "claude-sonnet-4-5-20250929, claude-sonnet-4-5",
            "anthropic/claude-sonnet-4-5-20250929, claude-sonnet-4-5",
            "openai/gpt-4o-mini, gpt-4o-mini",
            "azure/gpt-4o, gpt-4o",
            "openrouter/anthropic/claude-3-7-sonnet, claude-3-7-sonnet",
            "openrouter/meta-llama/llama-4-scout, llama-4-scout-17b-16e-instruct",
    })
    void anIdItsAliasAndItsProviderPrefixedFormsResolveToTheModel(String sent, String priced) {
        assertThat(book.model(sent).model()).isEqualTo(priced);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "gpt-4o-2024-05-13",                                  // a snapshot priced above its family: not an alias here
            "claude-3-5-sonnet-20241022",                         // retired: never the nearest newer Sonnet
            "gpt-4o-mini-2099-01-01",                             // a date not named is not stripped
            "gpt-4",                                              // a prefix of a priced id is not that id
            "gpt-4o-turbo",                                       // nor is an id that starts with one
            "ft:gpt-4o-mini:acme::abc123",                        // a fine-tune costs what its owner says
            "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",  // bedrock's own ids, until imported
            "gpt-4o/",
            "openrouter/",
    })
    void anythingElseIsUnknown(String sent) {
        assertThatThrownBy(() -> book.model(sent)).isInstanceOf(UnknownModelException.class);
    }

    @Test
    void theMostSpecificPricedIdWinsOverTheBareModel() {
        PriceBook withGatewayPrice = book.withModel(PricedModel.of("anthropic/claude-3-7-sonnet", "anthropic",
                new BigDecimal("0.004"), new BigDecimal("0.02")), "v-gateway");

        assertThat(withGatewayPrice.model("openrouter/anthropic/claude-3-7-sonnet").model()).isEqualTo("anthropic/claude-3-7-sonnet");
        assertThat(withGatewayPrice.model("anthropic/claude-3-7-sonnet").inputPer1k()).isEqualByComparingTo("0.004");
        assertThat(withGatewayPrice.model("claude-3-7-sonnet").model()).isEqualTo("claude-3-7-sonnet");
    }

    @Test
    void anImportedProviderIdIsPricedAsImported() {
        PriceBook imported = book.withModel(PricedModel.of("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock",
                new BigDecimal("0.003"), new BigDecimal("0.015")), "v-import");

        assertThat(imported.model("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0").provider()).isEqualTo("bedrock");
        assertThatThrownBy(() -> imported.model("claude-3-5-sonnet-20241022")).isInstanceOf(UnknownModelException.class);
    }
}
