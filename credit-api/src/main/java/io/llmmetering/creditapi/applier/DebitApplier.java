package io.llmmetering.creditapi.applier;

import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UndecodableMessageException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.admin.Admin;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Moves {@code credit.debits} into PostgreSQL exactly once, in five steps per batch: read committed records
 * only and gather them (up to {@code batchSizeMax}, or what arrived within {@code linger}); decode them, a record
 * that does not decode going to {@code credit.debits.dlq} ({@link DebitDeadLetters}); apply the batch with the
 * consumer's offsets in one transaction ({@link BatchApplier}); hand the new balances to Redis without waiting
 * ({@link BalanceWriteBehind}); publish the alerts the batch calls for ({@link AlertPublisher}). On start and on
 * every partition assignment it seeks to the offsets stored in PostgreSQL, so Kafka's own committed offsets are
 * only for lag monitoring.
 */
public final class DebitApplier implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DebitApplier.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(20);

    private static final Duration MAX_PAUSE = Duration.ofSeconds(30);
    private static final Duration LAG_OBSERVATION_INTERVAL = Duration.ofSeconds(1);

    private final KafkaClients kafka;
    private final ApplierSettings settings;
    private final BatchApplier batchApplier;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final DebitDeadLetters deadLetters;
    private final RefusedDebitIsolation isolation;
    private final PartitionProgress progress;
    private final SpendMetric spend;
    private long lagObservedNanos;
    private final BalanceWriteBehind balances;
    private final AlertPublisher alerts;
    private final MessageCodec<Debit> debits = MessageCodec.of(Debit.class);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile boolean healthy = true;
    private volatile String topicId;
    private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> pending = new LinkedHashMap<>();
    private int pendingCount;
    private long firstPendingNanos;

    private final MeterRegistry registry;
    private final Counter applied;
    private final Counter alreadyRecorded;
    private final Counter failedBatches;
    private final Counter loopFailures;
    private final DistributionSummary batchSize;
    private final Timer applyLatency;

    public DebitApplier(KafkaClients kafka, ApplierSettings settings, BatchApplier batchApplier, BalanceCache cache, MeterRegistry registry,
                        ApplierMonitoring monitoring) {
        this(kafka, settings, batchApplier, cache, registry, monitoring, kafka.producer(Map.of(),
                Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new ByteArraySerializer()));
    }

    /** {@code producer} sends dead letters and alerts. */
    DebitApplier(KafkaClients kafka, ApplierSettings settings, BatchApplier batchApplier, BalanceCache cache, MeterRegistry registry,
                 ApplierMonitoring monitoring, Producer<String, byte[]> producer) {
        this.kafka = kafka;
        this.settings = settings;
        this.progress = monitoring.progress();
        this.spend = monitoring.spend();
        this.batchApplier = batchApplier;
        this.consumer = kafka.consumer(Map.of(
                        // a crashed instance's partitions move to the others after 10 s instead of the default 45 s: the
                        // debits wait for the applier, and a restarted instance joins as a new member
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000),
                Map.of(ConsumerConfig.GROUP_ID_CONFIG, settings.consumerGroup(),
                        // the offsets that count are stored in PostgreSQL with each batch
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                        // only debits of committed topology transactions: an aborted attempt must never be charged
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.batchSizeMax()),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.producer = producer;
        this.deadLetters = new DebitDeadLetters(producer, registry);
        this.isolation = new RefusedDebitIsolation(batchApplier, deadLetters);
        this.balances = new BalanceWriteBehind(cache, batchApplier);
        this.alerts = new AlertPublisher(settings, producer, registry);
        this.registry = registry;
        this.applied = Counter.builder("credit.applier.debits.applied").register(registry);
        this.alreadyRecorded = Counter.builder("credit.applier.debits.already_recorded").register(registry);
        this.failedBatches = Counter.builder("credit.applier.batches.failed").register(registry);
        this.loopFailures = Counter.builder("credit.applier.loop.failures").register(registry);
        this.batchSize = DistributionSummary.builder("credit.applier.batch.size").register(registry);
        this.applyLatency = Timer.builder("credit.applier.batch.apply").publishPercentiles(0.5, 0.99).register(registry);
        // consumer metrics include records-lag-max: how far the ledger is behind the topology
        new KafkaClientMetrics(consumer).bindTo(registry);
    }

    /**
     * Applies until {@link #close()}. Nothing but close ends the loop: a failure outside a batch (the broker, the
     * cache, a bug) is logged, reported unhealthy and retried after a growing pause from the stored offsets, so
     * the applier cannot die while health still says UP.
     */
    @Override
    public void run() {
        topicId = currentTopicId();
        consumer.subscribe(List.of(Topics.CREDIT_DEBITS), new SeekToStoredOffsets());
        Duration pause = settings.retryBackoff();
        try {
            while (running.get()) {
                try {
                    pollAndApply();
                    healthy = true;
                    pause = settings.retryBackoff();
                } catch (WakeupException e) {
                    if (running.get()) {
                        recover(e, pause);
                        pause = longer(pause);
                    }
                } catch (RuntimeException e) {
                    recover(e, pause);
                    pause = longer(pause);
                }
            }
        } finally {
            balances.flushOnShutdown();
            consumer.close(Duration.ofSeconds(5));
            producer.close(Duration.ofSeconds(5));
        }
    }

    private void pollAndApply() {
        int polled = 0;
        for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL_TIMEOUT)) {
            polled++;
            if (pendingCount == 0) {
                firstPendingNanos = System.nanoTime();
            }
            pending.computeIfAbsent(new TopicPartition(record.topic(), record.partition()), p -> new ArrayList<>()).add(record);
            pendingCount++;
        }
        if (pendingCount >= settings.batchSizeMax()
                || (pendingCount > 0 && System.nanoTime() - firstPendingNanos >= settings.linger().toNanos())) {
            applyPending();
        }
        balances.writeWhenDue();
        if (polled == 0 && pendingCount == 0) {
            balances.whenIdle();
        }
        observeLag();
    }

    /**
     * Once a second: how far each partition's ledger is behind its end (committed debits only), measured from the
     * first debit not yet applied, whether it waits in a batch or was never read. One ListOffsets request a second;
     * the consumer's own lag is unknown between a seek and the next fetch, exactly when a failing batch is re-read.
     */
    private void observeLag() {
        long now = System.nanoTime();
        Set<TopicPartition> assignment = consumer.assignment();
        if (now - lagObservedNanos < LAG_OBSERVATION_INTERVAL.toNanos() || assignment.isEmpty()) {
            return;
        }
        lagObservedNanos = now;
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(assignment, LAG_OBSERVATION_INTERVAL);
            for (TopicPartition partition : assignment) {
                List<ConsumerRecord<String, byte[]>> waiting = pending.get(partition);
                long unapplied = waiting != null && !waiting.isEmpty() ? waiting.get(0).offset()
                        : consumer.position(partition, LAG_OBSERVATION_INTERVAL);
                Long end = ends.get(partition);
                if (end != null) {
                    progress.observed(partition.partition(), Math.max(0, end - unapplied), now);
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            log.debug("lag not observed this time error={}", e.toString());
        }
    }

    /** The partitions of this process's appliers that have lag and have not moved for the stall time. */
    public List<Integer> stalledPartitions() {
        return progress.stalled();
    }

    private void recover(RuntimeException failure, Duration pause) {
        healthy = false;
        loopFailures.increment();
        log.error("debit applier loop failed, resuming from stored offsets pause_ms={} error={}", pause.toMillis(), failure.toString(), failure);
        clearPending();
        sleep(pause);
        seekToStoredOffsets(consumer.assignment());
    }

    private static Duration longer(Duration pause) {
        Duration doubled = pause.multipliedBy(2);
        return doubled.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : doubled;
    }

    /** False from a failure outside a batch until the loop has run through once again. */
    public boolean healthy() {
        return healthy;
    }

    private void applyPending() {
        List<LedgerDebit> batch = new ArrayList<>(pendingCount);
        List<ConsumerRecord<String, byte[]>> sources = new ArrayList<>(pendingCount);
        List<PartitionOffset> offsets = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
        try {
            // a dead letter that cannot be sent fails the batch like a database error: re-read, never skipped
            for (Map.Entry<TopicPartition, List<ConsumerRecord<String, byte[]>>> partition : pending.entrySet()) {
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
            long started = System.nanoTime();
            isolation.apply(batch, sources, offsets, balances.confirmedNotes(), this::afterCommit);
            applyLatency.record(Duration.ofNanos(System.nanoTime() - started));
            batchSize.record(batch.size());
            clearPending();
            long now = System.nanoTime();
            kafkaOffsets.keySet().forEach(partition -> progress.moved(partition.partition(), now));
            consumer.commitAsync(kafkaOffsets, null);
        } catch (SQLException | RuntimeException e) {
            failedBatches.increment();
            log.warn("debit batch failed, re-reading from stored offsets debits={} error={}", batch.size(), e.toString());
            clearPending();
            sleep(settings.retryBackoff());
            seekToStoredOffsets(consumer.assignment());
        }
    }

    private void afterCommit(AppliedBatch result) {
        applied.increment(result.applied());
        alreadyRecorded.increment(result.alreadyRecorded());
        spend.record(result);
        balances.committed(result);
        if (!result.changes().isEmpty()) {
            alerts.afterBatch(result, Instant.now());
        }
    }

    private void clearPending() {
        pending.clear();
        pendingCount = 0;
    }

    /** Without the stored offsets nothing may be read: during a database outage this waits, however long. */
    private void seekToStoredOffsets(Collection<TopicPartition> partitions) {
        Duration pause = settings.retryBackoff();
        while (!partitions.isEmpty() && running.get()) {
            try {
                Map<Integer, Long> stored = batchApplier.storedOffsets(Topics.CREDIT_DEBITS, topicId);
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
                return;
            } catch (SQLException e) {
                healthy = false;
                log.warn("cannot read stored offsets, waiting partitions={} pause_ms={} error={}", partitions, pause.toMillis(), e.toString());
                sleep(pause);
                pause = longer(pause);
            }
        }
    }

    /** The id Kafka gave credit.debits, so offsets stored for an earlier topic of the same name are not used. */
    private String currentTopicId() {
        try (Admin admin = kafka.admin(Map.of())) {
            return admin.describeTopics(List.of(Topics.CREDIT_DEBITS)).allTopicNames().get(30, java.util.concurrent.TimeUnit.SECONDS)
                    .get(Topics.CREDIT_DEBITS).topicId().toString();
        } catch (Exception e) {
            // without the id every stored offset counts, as before ids were stored
            log.warn("cannot read the id of {}; stored offsets are used as they are error={}", Topics.CREDIT_DEBITS, e.toString());
            return null;
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the loop; the batch being applied finishes or rolls back, nothing half-done remains. */
    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }

    private final class SeekToStoredOffsets implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            partitions.forEach(partition -> progress.revoked(partition.partition()));
            // not applied yet, so not ours to apply any more: the next owner reads them from the stored offsets
            partitions.forEach(partition -> pendingCount -= pending.getOrDefault(partition, List.of()).size());
            partitions.forEach(pending::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            long now = System.nanoTime();
            partitions.forEach(partition -> progress.assigned(partition.partition(), now));
            seekToStoredOffsets(partitions);
            balances.refreshUnconfirmed();
        }
    }
}
