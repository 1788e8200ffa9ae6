package io.llmmetering.meteringstreams.service;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;

import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.common.config.TopicConfig;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** The Kafka Streams configuration of the metering topology, with every choice that matters made on purpose. */
public final class StreamsConfigFactory {

    private StreamsConfigFactory() {
    }

    /**
     * The Streams configuration: the tuning below as defaults (an operator's {@code spring.kafka.streams.*} or
     * {@code spring.kafka.properties.*} may change them), the connection and security of {@code spring.kafka.*},
     * then what exactly-once and this deployment require, which no setting changes: {@code exactly_once_v2}, the
     * application id, the state directory and the exception handlers.
     */
    public static Properties create(KafkaClients kafka, MeteringStreamsProperties settings) {
        Map<String, Object> defaults = new HashMap<>();
        defaults.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.threads());
        defaults.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) settings.replicationFactor());
        defaults.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), Integer.toString(settings.minInsyncReplicas()));
        defaults.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, settings.standbyReplicas());
        defaults.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, settings.commitInterval().toMillis());
        // A transaction's records are flushed when it commits anyway: lingering up to the commit interval sends each
        // partition's records of a commit in one produce request instead of one every few milliseconds, and the
        // broker's CPU goes by requests. A compressed batch costs the producer a compression and the broker a
        // decompression to validate it: on one host (lz4: 5 % of the stream thread's samples) that buys nothing.
        defaults.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), (int) Math.min(settings.commitInterval().toMillis(), 1_000));
        defaults.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 512 * 1024);
        defaults.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), settings.producerCompression());
        defaults.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2000);
        // fewer, fuller fetches: the broker answers when 64 KB are there or 20 ms have passed
        defaults.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), 64 * 1024);
        defaults.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 20);
        if (settings.staticMembership()) {
            // Static membership: a restarted instance takes its partitions back without a rebalance, and a graceful
            // close (leaveGroup) hands them over at once instead of after the session timeout.
            defaults.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), settings.applicationId() + "-" + settings.instanceId());
        }
        // A crashed instance's partitions move after 15 s rather than the default 45 s.
        defaults.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 15_000);
        // A new instance first restores the state of the tasks it will take (warm-up), and the tasks move when a
        // probing rebalance finds it caught up: every 10 minutes by default, so an instance added to take load did
        // nothing for up to 10 minutes (measured by ScaleOutBenchmark). One minute is Kafka's lower bound.
        defaults.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, 60_000);

        Map<String, Object> required = new HashMap<>();
        required.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId());
        required.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir());
        // EOS v2: the debits, DLQ records, changelog writes and input offsets of a task commit in
        // one transaction, so a crash anywhere neither loses nor repeats a debit.
        required.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // usage.events is read as bytes and decoded by validate-events, which dead-letters poison pills itself.
        // The compacted price and account topics are decoded by serdes: a bad record there is logged and skipped
        // (the previous price stays) rather than stopping the global thread.
        required.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        // Each step of the topology dead-letters a record that fails in it, inside the transaction (Streams 4.1's
        // handler cannot write there); what still reaches this handler failed outside a step and fails the task.
        required.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
        // A debit that cannot be written must not be skipped: failing aborts the transaction and the replaced
        // thread retries from the last commit.
        required.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class);
        return kafka.streamsConfig(defaults, required);
    }
}
