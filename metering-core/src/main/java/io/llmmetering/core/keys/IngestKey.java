package io.llmmetering.core.keys;

/** An authenticated ingest key: its id (never the secret) and the source it stands for. */
public record IngestKey(String id, String name, String source) {
}
