package io.llmmetering.creditapi.applier;

import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.UndecodableMessageException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The debits an applier has read and not yet applied, by partition in the order read: a batch gathers until it
 * holds {@code batchSizeMax} debits or its first one has waited {@code linger}. Used by the applier's thread only.
 */
final class PendingDebits {

    private final MessageCodec<Debit> debits = MessageCodec.of(Debit.class);
    private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> byPartition = new LinkedHashMap<>();
    private int count;
    private long firstNanos;

    /** A gathered batch: the decoded debits with the records they came from, and where each partition resumes. */
    record Batch(List<LedgerDebit> debits, List<ConsumerRecord<String, byte[]>> sources, List<PartitionOffset> offsets,
                 Map<TopicPartition, OffsetAndMetadata> kafkaOffsets) {
    }

    void add(ConsumerRecord<String, byte[]> record) {
        if (count == 0) {
            firstNanos = System.nanoTime();
        }
        byPartition.computeIfAbsent(new TopicPartition(record.topic(), record.partition()), p -> new ArrayList<>()).add(record);
        count++;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Full, or its first debit has waited long enough. */
    boolean due(int batchSizeMax, Duration linger) {
        return count >= batchSizeMax || (count > 0 && System.nanoTime() - firstNanos >= linger.toNanos());
    }

    /** The offset of the first debit waiting from {@code partition}, or -1 when none waits. */
    long firstOffset(TopicPartition partition) {
        List<ConsumerRecord<String, byte[]>> waiting = byPartition.get(partition);
        return waiting == null || waiting.isEmpty() ? -1 : waiting.get(0).offset();
    }

    /**
     * Decodes what waits into a batch of {@code topicId}'s debits; a record that does not decode is handed to
     * {@code deadLetters} (which fails the batch if it cannot send it: re-read, never skipped).
     */
    Batch batch(String topicId, DebitDeadLetters deadLetters) {
        List<LedgerDebit> batch = new ArrayList<>(count);
        List<ConsumerRecord<String, byte[]>> sources = new ArrayList<>(count);
        List<PartitionOffset> offsets = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
        for (Map.Entry<TopicPartition, List<ConsumerRecord<String, byte[]>>> partition : byPartition.entrySet()) {
            List<ConsumerRecord<String, byte[]>> records = partition.getValue();
            for (ConsumerRecord<String, byte[]> record : records) {
                try {
                    batch.add(LedgerDebit.from(debits.decode(record.value())));
                    sources.add(record);
                } catch (UndecodableMessageException | IllegalArgumentException e) {
                    deadLetters.send(record, e);
                }
            }
            long next = records.get(records.size() - 1).offset() + 1;
            offsets.add(new PartitionOffset(partition.getKey().topic(), topicId, partition.getKey().partition(), next));
            kafkaOffsets.put(partition.getKey(), new OffsetAndMetadata(next));
        }
        return new Batch(batch, sources, offsets, kafkaOffsets);
    }

    /** Partitions taken away: what waits from them is the next owner's to read, from the stored offsets. */
    void drop(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            List<ConsumerRecord<String, byte[]>> dropped = byPartition.remove(partition);
            count -= dropped == null ? 0 : dropped.size();
        }
    }

    void clear() {
        byPartition.clear();
        count = 0;
    }
}
