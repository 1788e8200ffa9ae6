package io.llmmetering.creditapi.applier;

import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where an applier reads {@code credit.debits} from: the offsets stored in PostgreSQL with each batch, not Kafka's
 * committed ones. Offsets stored for an earlier topic of the same name (another topic id) are not used.
 */
final class StoredOffsets {

    private static final Logger log = LoggerFactory.getLogger(StoredOffsets.class);

    private final BatchApplier ledger;
    private final String topicId;

    private StoredOffsets(BatchApplier ledger, String topicId) {
        this.ledger = ledger;
        this.topicId = topicId;
    }

    /** Reads the id Kafka gave credit.debits now; without it every stored offset counts, as before ids were stored. */
    static StoredOffsets of(BatchApplier ledger, KafkaClients kafka) {
        try (Admin admin = kafka.admin(Map.of())) {
            return new StoredOffsets(ledger, admin.describeTopics(List.of(Topics.CREDIT_DEBITS)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(Topics.CREDIT_DEBITS).topicId().toString());
        } catch (Exception e) {
            log.warn("cannot read the id of {}; stored offsets are used as they are error={}", Topics.CREDIT_DEBITS, e.toString());
            return new StoredOffsets(ledger, null);
        }
    }

    /** The topic id batches store with their offsets. */
    String topicId() {
        return topicId;
    }

    /**
     * Seeks each partition to its stored offset, or to its beginning when none is stored. Throws when PostgreSQL
     * cannot be read: nothing may be read without the stored offsets.
     */
    void seek(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) throws SQLException {
        Map<Integer, Long> stored = ledger.storedOffsets(Topics.CREDIT_DEBITS, topicId);
        List<TopicPartition> fromStart = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            Long offset = stored.get(partition.partition());
            if (offset == null) {
                fromStart.add(partition);
            } else {
                consumer.seek(partition, offset);
            }
        }
        if (!fromStart.isEmpty()) {
            consumer.seekToBeginning(fromStart);
        }
    }
}
