package io.llmmetering.creditapi.applier;

import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
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
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(30);

    private final KafkaClients kafka;
    private final ApplierSettings settings;
    private final BatchApplier batchApplier;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final DebitDeadLetters deadLetters;
    private final RefusedDebitIsolation isolation;
    private final PartitionProgress progress;
    private final SpendMetric spend;
    private final LagObservation lag;
    private final BalanceWriteBehind balances;
    private final AlertPublisher alerts;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile boolean healthy = true;
    private StoredOffsets storedOffsets;
    private final PendingDebits pending = new PendingDebits();
    private final ApplierMeters meters;

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
        this.batchApplier = batchApplier.raisingAlerts(settings);
        this.consumer = kafka.consumer(ApplierSettings.CONSUMER_DEFAULTS, settings.consumerProperties(), new StringDeserializer(),
                new ByteArrayDeserializer());
        this.producer = producer;
        this.deadLetters = new DebitDeadLetters(producer, registry);
        this.isolation = new RefusedDebitIsolation(this.batchApplier, deadLetters);
        this.balances = new BalanceWriteBehind(cache, this.batchApplier.cacheNotes());
        this.alerts = new AlertPublisher(settings, producer, registry, this.batchApplier.webhookOutbox());
        this.meters = ApplierMeters.register(registry);
        this.lag = new LagObservation(progress);
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
        storedOffsets = StoredOffsets.of(batchApplier, kafka);
        consumer.subscribe(List.of(Topics.CREDIT_DEBITS), new SeekToStoredOffsets());
        BackOffExecution pauses = backOff().start();
        try {
            while (running.get()) {
                try {
                    pollAndApply();
                    healthy = true;
                    pauses = backOff().start();
                } catch (WakeupException e) {
                    if (running.get()) {
                        recover(e, pauses.nextBackOff());
                    }
                } catch (RuntimeException e) {
                    recover(e, pauses.nextBackOff());
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
            pending.add(record);
        }
        if (pending.due(settings.batchSizeMax(), settings.linger())) {
            applyPending();
        }
        balances.writeWhenDue();
        if (polled == 0 && pending.isEmpty()) {
            balances.whenIdle();
        }
        lag.observe(consumer, pending);
    }

    /** The partitions of this process's appliers that have lag and have not moved for the stall time. */
    public List<Integer> stalledPartitions() {
        return progress.stalled();
    }

    private void recover(RuntimeException failure, long pauseMillis) {
        healthy = false;
        meters.loopFailures().increment();
        log.error("debit applier loop failed, resuming from stored offsets pause_ms={} error={}", pauseMillis, failure.toString(), failure);
        pending.clear();
        sleep(pauseMillis);
        seekToStoredOffsets(consumer.assignment());
    }

    /** Pauses after failures: the configured one, doubling while failures go on, at most 30 s. */
    private ExponentialBackOff backOff() {
        ExponentialBackOff backOff = new ExponentialBackOff(settings.retryBackoff().toMillis(), 2);
        backOff.setMaxInterval(LONGEST_PAUSE.toMillis());
        return backOff;
    }

    /** False from a failure outside a batch until the loop has run through once again. */
    public boolean healthy() {
        return healthy;
    }

    private void applyPending() {
        int size = 0;
        try {
            // a dead letter that cannot be sent fails the batch like a database error: re-read, never skipped
            PendingDebits.Batch batch = pending.batch(storedOffsets.topicId(), deadLetters);
            size = batch.debits().size();
            long started = System.nanoTime();
            isolation.apply(batch.debits(), batch.sources(), batch.offsets(), balances.confirmedNotes(), this::afterCommit);
            meters.applyLatency().record(Duration.ofNanos(System.nanoTime() - started));
            meters.batchSize().record(size);
            pending.clear();
            long now = System.nanoTime();
            batch.kafkaOffsets().keySet().forEach(partition -> progress.moved(partition.partition(), now));
            consumer.commitAsync(batch.kafkaOffsets(), null);
        } catch (SQLException | RuntimeException e) {
            meters.failedBatches().increment();
            log.warn("debit batch failed, re-reading from stored offsets debits={} error={}", size, e.toString());
            pending.clear();
            sleep(settings.retryBackoff().toMillis());
            seekToStoredOffsets(consumer.assignment());
        }
    }

    private void afterCommit(AppliedBatch result) {
        meters.applied().increment(result.applied());
        meters.alreadyRecorded().increment(result.alreadyRecorded());
        spend.record(result);
        balances.committed(result);
        if (!result.changes().isEmpty()) {
            alerts.afterBatch(result, Instant.now());
        }
    }

    /** Without the stored offsets nothing may be read: during a database outage this waits, however long. */
    private void seekToStoredOffsets(Collection<TopicPartition> partitions) {
        BackOffExecution pauses = backOff().start();
        while (!partitions.isEmpty() && running.get()) {
            try {
                storedOffsets.seek(consumer, partitions);
                return;
            } catch (SQLException e) {
                healthy = false;
                long pause = pauses.nextBackOff();
                log.warn("cannot read stored offsets, waiting partitions={} pause_ms={} error={}", partitions, pause, e.toString());
                sleep(pause);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
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
            pending.drop(partitions);
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
