package io.llmmetering.creditapi.accounts;

import tools.jackson.databind.json.JsonMapper;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** What a ledger row says it paid for or came from: its usage columns and the metadata JSON. */
public record UsageDetails(Optional<String> provider, Optional<String> model, OptionalLong tokensUsed, Optional<String> powerLevel,
                           String metadataJson) {

    public static UsageDetails none() {
        return new UsageDetails(Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(), "{}");
    }

    /** No usage, only these metadata fields (values may come from a request: they are written as JSON strings). */
    static UsageDetails metadata(Map<String, String> fields) {
        return new UsageDetails(Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(), JSON.writeValueAsString(fields));
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
}
