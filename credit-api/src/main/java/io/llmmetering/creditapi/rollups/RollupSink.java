package io.llmmetering.creditapi.rollups;

import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UndecodableMessageException;
import io.llmmetering.schemas.UsageRollup;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Consumes {@code usage.rollups} into {@code usage_rollups} for dashboards. Upserts are idempotent, so plain
 * at-least-once delivery is exact: offsets are committed to Kafka after each write, and a replay rewrites the
 * same rows. A record that does not decode is logged, counted and skipped.
 */
public final class RollupSink implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RollupSink.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final RollupWriter writer;
    private final MessageCodec<UsageRollup> codec = MessageCodec.of(UsageRollup.class);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Counter written;
    private final Counter undecodable;

    public RollupSink(String bootstrapServers, String consumerGroup, RollupWriter writer, MeterRegistry registry) {
        this.writer = writer;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, consumerGroup,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.written = Counter.builder("credit.rollups.written").register(registry);
        this.undecodable = Counter.builder("credit.rollups.undecodable").register(registry);
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(Topics.USAGE_ROLLUPS));
        try {
            while (running.get()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                List<UsageRollup> rollups = new ArrayList<>(records.count());
                for (ConsumerRecord<String, byte[]> record : records) {
                    try {
                        rollups.add(codec.decode(record.value()));
                    } catch (UndecodableMessageException e) {
                        undecodable.increment();
                        log.warn("skipping undecodable rollup partition={} offset={} reason={}", record.partition(), record.offset(), e.reason().code());
                    }
                }
                try {
                    written.increment(writer.write(rollups));
                    consumer.commitSync();
                } catch (SQLException | RuntimeException e) {
                    log.warn("rollup batch failed, re-reading it rollups={} error={}", rollups.size(), e.toString());
                    consumer.committed(consumer.assignment()).forEach((partition, offset) -> {
                        if (offset == null) {
                            consumer.seekToBeginning(List.of(partition));
                        } else {
                            consumer.seek(partition, offset);
                        }
                    });
                    sleep();
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
