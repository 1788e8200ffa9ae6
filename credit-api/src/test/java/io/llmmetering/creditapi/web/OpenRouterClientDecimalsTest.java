package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.openrouter.OpenRouterClient;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;

import static org.assertj.core.api.Assertions.assertThat;

/** OpenRouter's costs are decimals; read through a double, 0.1 + 0.2 style errors reach the reconciliation. */
class OpenRouterClientDecimalsTest {

    @Test
    void costsAreReadAsTheExactDecimalsOpenRouterWrites() throws Exception {
        try (FakeOpenRouter openRouter = new FakeOpenRouter()) {
            openRouter.keys.add("sk-or-v1-decimals");
            // 17 significant digits: a double keeps about 16, and 0.3 itself is not a double
            openRouter.generations.put("gen-1", new FakeOpenRouter.Generation("sk-or-v1-decimals", "gen-1", "0.12345678901234567", "gpt-4o"));
            openRouter.generations.put("gen-2", new FakeOpenRouter.Generation("sk-or-v1-decimals", "gen-2", "0.3", "gpt-4o"));
            openRouter.activity.add(new FakeOpenRouter.Activity("sk-or-v1-decimals", "2026-11-25", "gpt-4o", "1234.56789012345678", 3));
            OpenRouterClient client = new OpenRouterClient(openRouter.baseUrl());
            assertThat(client.generation("sk-or-v1-decimals", "gen-1").orElseThrow().totalCost())
                    .isEqualTo(new BigDecimal("0.12345678901234567"));
            assertThat(client.generation("sk-or-v1-decimals", "gen-2").orElseThrow().totalCost()).isEqualTo(new BigDecimal("0.3"));
            assertThat(client.activity("sk-or-v1-decimals", LocalDate.parse("2026-11-25")).get(0).usage())
                    .isEqualTo(new BigDecimal("1234.56789012345678"));
        }
    }
}
