package io.llmmetering.creditapi.ledger;

/** The next offset to read of one partition, stored in the same transaction as what the records before it produced. */
public record PartitionOffset(String topic, int partition, long nextOffset) {
}
