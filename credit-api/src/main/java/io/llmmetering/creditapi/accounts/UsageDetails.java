package io.llmmetering.creditapi.accounts;

import java.util.Optional;
import java.util.OptionalLong;

/** What a synchronous deduct says it paid for; recorded on its ledger row (columns and the metadata JSON). */
public record UsageDetails(Optional<String> provider, Optional<String> model, OptionalLong tokensUsed, Optional<String> powerLevel,
                           String metadataJson) {

    public static UsageDetails none() {
        return new UsageDetails(Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(), "{}");
    }
}
