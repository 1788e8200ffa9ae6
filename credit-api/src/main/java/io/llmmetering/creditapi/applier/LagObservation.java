package io.llmmetering.creditapi.applier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** An applier's lag per partition, for {@link PartitionProgress}'s stall check and the lag gauge. Used by the applier's thread only. */
final class LagObservation {

    private static final Logger log = LoggerFactory.getLogger(LagObservation.class);
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final PartitionProgress progress;
    private long observedNanos;

    LagObservation(PartitionProgress progress) {
        this.progress = progress;
    }

    /**
     * Once a second: how far each partition's ledger is behind its end (committed debits only), measured from the
     * first debit not yet applied, whether it waits in a batch or was never read. One ListOffsets request a second;
     * the consumer's own lag is unknown between a seek and the next fetch, exactly when a failing batch is re-read.
     */
    void observe(Consumer<?, ?> consumer, PendingDebits pending) {
        long now = System.nanoTime();
        Set<TopicPartition> assignment = consumer.assignment();
        if (now - observedNanos < INTERVAL.toNanos() || assignment.isEmpty()) {
            return;
        }
        observedNanos = now;
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(assignment, INTERVAL);
            for (TopicPartition partition : assignment) {
                long waiting = pending.firstOffset(partition);
                long unapplied = waiting >= 0 ? waiting : consumer.position(partition, INTERVAL);
                Long end = ends.get(partition);
                if (end != null) {
                    progress.observed(partition.partition(), Math.max(0, end - unapplied), now);
                }
            }
        } catch (KafkaException e) {
            log.debug("lag not observed this time error={}", e.toString());
        }
    }
}
