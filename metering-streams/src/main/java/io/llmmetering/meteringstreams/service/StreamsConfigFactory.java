package io.llmmetering.meteringstreams.service;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;

import java.time.Duration;
import java.util.Properties;

/** The Kafka Streams configuration of the metering topology, with every choice that matters made on purpose. */
public final class StreamsConfigFactory {

    private StreamsConfigFactory() {
    }

    /**
     * @param instanceId  a name unique to this instance and stable across its restarts (host name, pod name)
     * @param compression of what the topology produces (debits, dead letters, changelog): {@code none} where the
     *                    broker is on the same host, {@code lz4} across a network
     */
    public static Properties create(String bootstrapServers, String applicationId, String instanceId, String stateDir, int threads,
                                    short replicationFactor, Duration commitInterval, String compression) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // EOS v2: the debits, DLQ records, changelog writes and input offsets of a task commit in
        // one transaction, so a crash anywhere neither loses nor repeats a debit.
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
        // usage.events is read as bytes and decoded by validate-events, which dead-letters poison pills itself.
        // The compacted price and account topics are decoded by serdes: a bad record there is logged and skipped
        // (the previous price stays) rather than stopping the global thread.
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        // Each step of the topology dead-letters a record that fails in it, inside the transaction (Streams 4.1's
        // handler cannot write there); what still reaches this handler failed outside a step and fails the task.
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
        // A debit that cannot be written must not be skipped: failing aborts the transaction and the replaced
        // thread retries from the last commit.
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class);
        // A transaction's records are flushed when it commits anyway: lingering up to the commit interval sends each
        // partition's records of a commit in one produce request instead of one every few milliseconds, and the
        // broker's CPU goes by requests. A compressed batch costs the producer a compression and the broker a
        // decompression to validate it: on one host (lz4: 5 % of the stream thread's samples) that buys nothing.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), (int) Math.min(commitInterval.toMillis(), 1_000));
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 512 * 1024);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), compression);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2000);
        // fewer, fuller fetches: the broker answers when 64 KB are there or 20 ms have passed
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), 64 * 1024);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 20);
        // Static membership: a restarted instance takes its partitions back without a rebalance, and a graceful
        // close (leaveGroup) hands them over at once instead of after the session timeout. A crashed instance's
        // partitions move after 15 s rather than the default 45 s.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), applicationId + "-" + instanceId);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 15_000);
        // A new instance first restores the state of the tasks it will take (warm-up), and the tasks move when a
        // probing rebalance finds it caught up: every 10 minutes by default, so an instance added to take load did
        // nothing for up to 10 minutes (measured by ScaleOutBenchmark). One minute is Kafka's lower bound.
        props.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, 60_000);
        return props;
    }
}
