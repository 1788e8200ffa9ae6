package io.llmmetering.core.keys;

/** An authenticated ingest key: its id (never the secret), the source it stands for, and whom its LiteLLM records bill. */
public record IngestKey(String id, String name, String source, LiteLlmAccount liteLlmAccount) {
}
