package io.llmmetering.creditapi.ledger;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.CreditAlert;
import io.llmmetering.schemas.DeadLetterHeaders;
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
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Moves {@code credit.debits} into PostgreSQL exactly once. It reads committed records only, gathers them
 * into batches (up to {@code batchSizeMax}, or what arrived within {@code linger}), and hands each batch to
 * {@link BatchApplier}, which stores the consumer's offsets in the same transaction. On start and on every
 * partition assignment it seeks to the offsets stored in PostgreSQL, so Kafka's own committed offsets are
 * only for lag monitoring. After each commit the new balances go to Redis and any alerts to credit.alerts.
 * A record that does not decode goes to {@code credit.debits.dlq} with the reason and is stepped over.
 */
public final class DebitApplier implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DebitApplier.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(20);

    private final ApplierSettings settings;
    private final BatchApplier batchApplier;
    private final BalanceCache cache;
    private final SpendSpikes spikes;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final MessageCodec<Debit> debits = MessageCodec.of(Debit.class);
    private final AvroSerde<CreditAlert> alertSerde = AvroSerde.of(CreditAlert.class);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(30);
    private volatile boolean healthy = true;
    private volatile String topicId;
    private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> pending = new LinkedHashMap<>();
    private static final Duration CACHE_RETRY_INTERVAL = Duration.ofSeconds(1);
    private static final int MAX_UNWRITTEN_BALANCES = 500_000;
    private final Map<String, BalanceCache.Versioned> unwrittenBalances = new HashMap<>();
    private java.util.concurrent.CompletableFuture<Boolean> cacheWrite;
    private Map<String, BalanceCache.Versioned> cacheWriting = Map.of();
    // the ledger's notes (applier_cache_pending) of the batches whose balances are waiting, being written, or
    // confirmed in Redis; a confirmed note is deleted by the next batch that charges anything, or when idle
    private final List<Long> unwrittenNotes = new ArrayList<>();
    private boolean notesUnread;
    private List<Long> writingNotes = List.of();
    private final List<Long> confirmedNotes = new ArrayList<>();
    private long nextCacheRetryNanos;
    private int pendingCount;
    private long firstPendingNanos;

    private final MeterRegistry registry;
    private final Counter applied;
    private final Counter alreadyRecorded;
    private final Counter deadLettered;
    private final Counter failedBatches;
    private final Counter loopFailures;
    private final DistributionSummary batchSize;
    private final Timer applyLatency;

    public DebitApplier(ApplierSettings settings, BatchApplier batchApplier, BalanceCache cache, MeterRegistry registry) {
        this(settings, batchApplier, cache, registry, new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new ByteArraySerializer()));
    }

    /** {@code producer} sends dead letters and alerts. */
    DebitApplier(ApplierSettings settings, BatchApplier batchApplier, BalanceCache cache, MeterRegistry registry,
                 Producer<String, byte[]> producer) {
        this.settings = settings;
        this.batchApplier = batchApplier;
        this.cache = cache;
        this.spikes = new SpendSpikes(settings.spikes());
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, settings.consumerGroup(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // only debits of committed topology transactions: an aborted attempt must never be charged
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.batchSizeMax(),
                // a crashed instance's partitions move to the others after 10 s instead of the default 45 s: the
                // debits wait for the applier, and a restarted instance joins as a new member
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.producer = producer;
        this.registry = registry;
        this.applied = Counter.builder("credit.applier.debits.applied").register(registry);
        this.alreadyRecorded = Counter.builder("credit.applier.debits.already_recorded").register(registry);
        this.deadLettered = Counter.builder("credit.applier.debits.dead_lettered").register(registry);
        this.failedBatches = Counter.builder("credit.applier.batches.failed").register(registry);
        this.loopFailures = Counter.builder("credit.applier.loop.failures").register(registry);
        // registered at zero, so an alert rule's increase() sees the first crossing
        for (String kind : List.of(CreditAlerts.LOW_BALANCE, CreditAlerts.CAP_REACHED, SpendSpikes.KIND)) {
            alertsRaised(kind);
        }
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
            awaitCacheWrite();
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
        writeBalancesWhenDue();
        if (polled == 0 && pendingCount == 0) {
            whenIdle();
        }
    }

    /** Bookkeeping that no batch is waiting for: notes nobody could read at assignment, confirmed notes. */
    private void whenIdle() {
        if (notesUnread) {
            refreshUnconfirmedBalances();
        }
        if (!confirmedNotes.isEmpty() && cacheWrite == null) {
            try {
                batchApplier.forgetCachePending(List.copyOf(confirmedNotes));
                confirmedNotes.clear();
            } catch (SQLException e) {
                log.debug("confirmed cache notes kept for the next batch error={}", e.toString());
            }
        }
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
        List<PartitionOffset> offsets = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
        try {
            // a dead letter that cannot be sent fails the batch like a database error: re-read, never skipped
            for (Map.Entry<TopicPartition, List<ConsumerRecord<String, byte[]>>> partition : pending.entrySet()) {
                List<ConsumerRecord<String, byte[]>> records = partition.getValue();
                for (ConsumerRecord<String, byte[]> record : records) {
                    try {
                        batch.add(LedgerDebit.from(debits.decode(record.value())));
                    } catch (UndecodableMessageException | IllegalArgumentException e) {
                        deadLetter(record, e);
                    }
                }
                long next = records.get(records.size() - 1).offset() + 1;
                offsets.add(new PartitionOffset(partition.getKey().topic(), topicId, partition.getKey().partition(), next));
                kafkaOffsets.put(partition.getKey(), new OffsetAndMetadata(next));
            }
            long started = System.nanoTime();
            AppliedBatch result = batchApplier.apply(batch, offsets, List.copyOf(confirmedNotes));
            if (result.cachePendingId() != 0) {
                confirmedNotes.clear();
                unwrittenNotes.add(result.cachePendingId());
            }
            applyLatency.record(Duration.ofNanos(System.nanoTime() - started));
            batchSize.record(batch.size());
            applied.increment(result.applied());
            alreadyRecorded.increment(result.alreadyRecorded());
            clearPending();
            afterCommit(result);
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
        // in credits, for dashboards; the ledger itself never goes through a double
        result.spendNanosByModel().forEach((key, nanos) -> registry.counter("credit.spend", "provider", key.provider(), "model", key.model())
                .increment(nanos / (double) Credits.NANOS_PER_CREDIT));
        if (result.changes().isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        List<CreditAlert> alerts = new ArrayList<>(CreditAlerts.of(result.changes(), settings, now));
        alerts.addAll(spikes.afterBatch(result.charges(), now));
        result.changes().forEach(change -> unwrittenBalances.merge(change.userId(),
                new BalanceCache.Versioned(change.balanceAfter(), change.balanceVersion()), BalanceCache.Versioned::newest));
        writeBalancesWhenDue();
        for (CreditAlert alert : alerts) {
            alertsRaised(alert.getKind()).increment();
            producer.send(new ProducerRecord<>(Topics.CREDIT_ALERTS, alert.getUserId(), alertSerde.serialize(Topics.CREDIT_ALERTS, alert)),
                    (metadata, error) -> {
                        if (error != null) {
                            log.warn("credit alert not published user={} kind={} error={}", alert.getUserId(), alert.getKind(), error.toString());
                        }
                    });
        }
    }

    private Counter alertsRaised(String kind) {
        return Counter.builder("credit.alerts.raised").tag("kind", kind)
                .description("alerts raised on credit.alerts: each a crossing (low balance, cap reached) or a spend spike")
                .register(registry);
    }

    /**
     * Sends the balances waiting for Redis, unless a write is still in flight (they go with the next one) or
     * Redis failed less than a second ago. The write does not hold up the next batch: the loop looks at its
     * outcome on its next turn. Balances whose write failed wait again (the newest version of each) and are
     * written until Redis takes them: otherwise a user with no further debits kept a stale cached balance until
     * its TTL, as a process check found after a crash. Rewriting is safe: the cache never replaces a newer
     * version with an older one.
     */
    private void writeBalancesWhenDue() {
        if (cacheWrite != null) {
            if (!cacheWrite.isDone()) {
                return;
            }
            if (cacheWrite.join()) {
                confirmedNotes.addAll(writingNotes);
            } else {
                cacheWriting.forEach((user, balance) -> unwrittenBalances.merge(user, balance, BalanceCache.Versioned::newest));
                unwrittenNotes.addAll(writingNotes);
                nextCacheRetryNanos = System.nanoTime() + CACHE_RETRY_INTERVAL.toNanos();
                if (unwrittenBalances.size() > MAX_UNWRITTEN_BALANCES) {
                    // a long outage: readers miss or expire to PostgreSQL anyway; keep memory bounded (the ledger's
                    // notes stay: read again when the applier is idle, or by the next owner of the partitions)
                    log.warn("balance cache unreachable, dropping pending writes users={}", unwrittenBalances.size());
                    unwrittenBalances.clear();
                    unwrittenNotes.clear();
                    notesUnread = true;
                }
            }
            cacheWrite = null;
            cacheWriting = Map.of();
            writingNotes = List.of();
        }
        if (unwrittenBalances.isEmpty() || System.nanoTime() < nextCacheRetryNanos) {
            return;
        }
        cacheWriting = new HashMap<>(unwrittenBalances);
        unwrittenBalances.clear();
        writingNotes = List.copyOf(unwrittenNotes);
        unwrittenNotes.clear();
        cacheWrite = cache.putAllAsync(cacheWriting);
    }

    /** On the way out: the balances already committed reach Redis if it answers soon. */
    private void awaitCacheWrite() {
        if (cacheWrite != null) {
            try {
                cacheWrite.get(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("balance cache write unfinished at shutdown users={}", cacheWriting.size());
            }
        }
        if (!unwrittenBalances.isEmpty()) {
            cache.putAll(unwrittenBalances);
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, RuntimeException reason) {
        deadLettered.increment();
        String code = reason instanceof UndecodableMessageException undecodable ? undecodable.reason().code() : "invalid_debit";
        ProducerRecord<String, byte[]> letter = new ProducerRecord<>(Topics.CREDIT_DEBITS_DLQ, null, record.timestamp(), record.key(),
                record.value(), DeadLetterHeaders.of(code, reason.getMessage(),
                        new DeadLetterHeaders.Source(record.topic(), record.partition(), record.offset()), null, System.currentTimeMillis()));
        try {
            // written before the batch's offsets move past it: a crash in between repeats the letter, never loses it
            producer.send(letter).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot dead-letter debit at " + record.topic() + "-" + record.partition() + "@" + record.offset(), e);
        }
        log.warn("debit dead-lettered partition={} offset={} reason={}", record.partition(), record.offset(), code);
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
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers()))) {
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
            // not applied yet, so not ours to apply any more: the next owner reads them from the stored offsets
            partitions.forEach(partition -> pendingCount -= pending.getOrDefault(partition, List.of()).size());
            partitions.forEach(pending::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            seekToStoredOffsets(partitions);
            refreshUnconfirmedBalances();
        }
    }

    /**
     * The balances of batches whose cache writes were never confirmed (their applier died between commit and
     * write, or Redis was away) are read from PostgreSQL and join the balances waiting for Redis, with their
     * notes: written at once and, while Redis refuses, again every second, as the applier's own; the notes go once
     * Redis took them. Rewriting a balance another applier is still writing is harmless: the cache keeps the
     * newest version. A database that cannot be read now is asked again when the applier is next idle.
     */
    private void refreshUnconfirmedBalances() {
        try {
            List<BatchApplier.CachePending> notes = batchApplier.cachePending();
            notesUnread = false;
            if (notes.isEmpty()) {
                return;
            }
            java.util.Set<String> users = new java.util.HashSet<>();
            notes.forEach(note -> users.addAll(note.userIds()));
            batchApplier.balancesOf(users).forEach((user, balance) -> unwrittenBalances.merge(user, balance, BalanceCache.Versioned::newest));
            notes.forEach(note -> unwrittenNotes.add(note.id()));
            nextCacheRetryNanos = System.nanoTime();
            log.info("unconfirmed cached balances to refresh batches={} users={}", notes.size(), users.size());
            writeBalancesWhenDue();
        } catch (SQLException e) {
            notesUnread = true;
            log.warn("unconfirmed cached balances not read, asked again when idle error={}", e.toString());
        }
    }
}
