package io.llmmetering.creditapi.deadletters;

import io.llmmetering.creditapi.controlplane.KafkaReader;
import io.llmmetering.schemas.DeadLetterHeaders;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Copies every record of {@code usage.events.dlq} and {@code credit.debits.dlq} into {@link DeadLetterArchive}.
 * It keeps no consumer group: it resumes from the highest offset already archived, so the archive itself is its
 * position and a record copied twice (two instances, a crash between insert and the next poll) is one row. It
 * rereads partitions every minute, so topics created after it started are picked up.
 */
public final class DeadLetterCopier extends KafkaReader<byte[], byte[]> {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterCopier.class);
    private static final List<String> TOPICS = List.of(Topics.USAGE_EVENTS_DLQ, Topics.CREDIT_DEBITS_DLQ);
    private static final Duration REASSIGN_EVERY = Duration.ofMinutes(1);
    private static final Duration PAUSE_AFTER_FAILURE = Duration.ofSeconds(5);
    private static final Instant LATEST_STORABLE = Instant.parse("9999-01-01T00:00:00Z");

    private final DeadLetterArchive archive;
    private final ArchivedLetters archived;
    private final KafkaClients kafka;
    private Map<String, String> topicIds = Map.of();
    private final MessageCodec<UsageEvent> events = MessageCodec.of(UsageEvent.class);
    private final MessageCodec<Debit> debits = MessageCodec.of(Debit.class);

    public DeadLetterCopier(KafkaClients kafka, DeadLetterArchive archive, MeterRegistry registry) {
        super(kafka.consumer(Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500), Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                // an archived position older than the topic's retention resumes at what is still there; without
                // it the consumer jumped to the end and silently skipped every dead letter the topic still held
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer()));
        this.kafka = kafka;
        this.archive = archive;
        this.archived = new ArchivedLetters(registry, TOPICS);
    }

    @Override
    protected void read() {
        while (!closed()) {
            try {
                copyUntilReassignment();
            } catch (WakeupException e) {
                throw e;
            } catch (Exception e) {
                // PostgreSQL or Kafka away: nothing is lost, the next attempt resumes from the archive
                log.warn("copying dead letters failed, retrying error={}", e.toString());
                pause(PAUSE_AFTER_FAILURE);
            }
        }
    }

    private void copyUntilReassignment() throws Exception {
        Set<TopicPartition> partitions = partitions();
        if (partitions.isEmpty()) {
            // the topics are not created yet (metering-streams creates them): look again in a while
            pause(PAUSE_AFTER_FAILURE);
            return;
        }
        consumer.assign(partitions);
        topicIds = topicIds();
        for (String topic : TOPICS) {
            Map<Integer, Long> next = archive.nextOffsets(topic, topicIds.get(topic));
            List<TopicPartition> fromStart = new ArrayList<>();
            for (TopicPartition partition : partitions) {
                if (!partition.topic().equals(topic)) {
                    continue;
                }
                Long offset = next.get(partition.partition());
                if (offset == null) {
                    fromStart.add(partition);
                } else {
                    consumer.seek(partition, offset);
                }
            }
            consumer.seekToBeginning(fromStart);
        }
        long reassignAt = System.nanoTime() + REASSIGN_EVERY.toNanos();
        while (!closed() && System.nanoTime() < reassignAt) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofSeconds(1));
            List<DeadLetterArchive.Incoming> letters = new ArrayList<>(records.count());
            for (ConsumerRecord<byte[], byte[]> record : records) {
                letters.add(incoming(record));
            }
            archive.store(letters);
            archived.count(letters);
        }
    }

    /**
     * The ids Kafka gave the dead-letter topics: a topic deleted and created again numbers its records from 0, and
     * without the id they would collide with the old topic's rows and be dropped. Unknown (no answer, no topic yet),
     * a topic's rows are matched as before ids were stored.
     */
    private Map<String, String> topicIds() {
        Map<String, String> ids = new HashMap<>();
        try (Admin admin = kafka.admin(Map.of(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
            for (String topic : TOPICS) {
                try {
                    ids.put(topic, admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).topicId().toString());
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("no id for topic={} error={}", topic, e.toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ids;
    }

    private Set<TopicPartition> partitions() {
        Set<TopicPartition> partitions = new HashSet<>();
        for (String topic : TOPICS) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos != null) {
                infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
            }
        }
        return partitions;
    }

    DeadLetterArchive.Incoming incoming(ConsumerRecord<byte[], byte[]> record) {
        Instant timestamp = storable(Instant.ofEpochMilli(record.timestamp())).orElse(Instant.EPOCH);
        String reason = header(record, DeadLetterHeaders.REASON);
        return new DeadLetterArchive.Incoming(record.topic(), topicIds.get(record.topic()), record.partition(), record.offset(), record.key(), record.value(),
                timestamp, reason == null || reason.isBlank() ? "unknown" : reason, header(record, DeadLetterHeaders.ERROR),
                new DeadLetter.Source(header(record, DeadLetterHeaders.SOURCE_TOPIC), number(record, DeadLetterHeaders.SOURCE_PARTITION)
                        .filter(p -> p <= Integer.MAX_VALUE).map(Long::intValue).orElse(null), number(record, DeadLetterHeaders.SOURCE_OFFSET).orElse(null)),
                header(record, DeadLetterHeaders.PROCESSOR),
                number(record, DeadLetterHeaders.FAILED_AT).map(Instant::ofEpochMilli).flatMap(DeadLetterCopier::storable).orElse(timestamp), decode(record));
    }

    private Optional<DeadLetter.Event> decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            if (record.topic().equals(Topics.CREDIT_DEBITS_DLQ)) {
                Debit debit = debits.decode(record.value());
                return Optional.of(new DeadLetter.Event(debit.getEventId(), debit.getUserId(), debit.getModel(), debit.getProvider(),
                        debit.getInputTokens(), debit.getOutputTokens(), debit.getCachedInputTokens(), storable(debit.getOccurredAt()).orElse(null)));
            }
            UsageEvent event = events.decode(record.value());
            return Optional.of(new DeadLetter.Event(event.getEventId(), event.getUserId(), event.getModel(), event.getProvider(),
                    event.getInputTokens(), event.getOutputTokens(), event.getCachedInputTokens(), storable(event.getOccurredAt()).orElse(null)));
        } catch (RuntimeException e) {
            // undecodable bytes are a dead letter's usual reason: it is listed without an event
            return Optional.empty();
        }
    }

    /** A refused event's time can be anything; PostgreSQL's timestamptz cannot, and one row must not stall the copy. */
    private static Optional<Instant> storable(Instant instant) {
        return instant != null && !instant.isBefore(Instant.EPOCH) && instant.isBefore(LATEST_STORABLE) ? Optional.of(instant) : Optional.empty();
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static Optional<Long> number(ConsumerRecord<?, ?> record, String name) {
        String value = header(record, name);
        try {
            return value == null ? Optional.empty() : Optional.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
