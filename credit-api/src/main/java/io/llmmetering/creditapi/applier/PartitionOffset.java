package io.llmmetering.creditapi.applier;

/**
 * The next offset to read of one partition, stored in the same transaction as what the records before it
 * produced, with the id of the topic it belongs to (null when unknown).
 */
record PartitionOffset(String topic, String topicId, int partition, long nextOffset) {

    public PartitionOffset(String topic, int partition, long nextOffset) {
        this(topic, null, partition, nextOffset);
    }
}
