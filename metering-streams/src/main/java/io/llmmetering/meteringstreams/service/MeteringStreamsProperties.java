package io.llmmetering.meteringstreams.service;

import io.llmmetering.meteringstreams.topology.TopologySettings;
import io.llmmetering.schemas.UsageEventRules;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.Map;

/**
 * Settings of the metering-streams service ({@code metering.streams.*}; environment variables such as
 * {@code KAFKA_BOOTSTRAP_SERVERS} map onto them in application.yml). Defaults run the local system.
 *
 * @param applicationId     Streams application id: instances with the same id share the work
 * @param instanceId        this instance's stable name within the application (static group membership)
 * @param threads           stream threads per instance
 * @param stateDir          where RocksDB state lives
 * @param partitions        partitions of the per-user topics when this service creates them
 * @param replicationFactor replication of created topics and internal topics (1 on a single broker, 3 in production)
 * @param minInsyncReplicas replicas an acknowledged write must reach, on created and internal topics (1 on a single
 *                          broker, 2 with a replication factor of 3)
 * @param standbyReplicas   warm copies of each state store on other instances, so a failed instance's tasks move
 *                          without restoring the dedupe store from its changelog (1 with two or more instances)
 * @param staticMembership  a restarted instance takes its partitions back without a rebalance (needs a stable
 *                          instance-id per instance: the pod or host name)
 * @param createTopics      create missing topics at start
 * @param seedPriceBook     publish the default price book to pricing.models when that topic is empty
 * @param commitInterval    how often transactions commit, i.e. the latency of a debit; each commit flushes the
 *                          RocksDB stores. 100 ms (Kafka's exactly-once default) measured within 10 % of 1 s here
 *                          (BENCHMARKS.md), so latency wins
 * @param producerCompression compression of what the topology writes: {@code none} (default) with the broker on
 *                          the same host, {@code lz4} or {@code zstd} across a network
 */
@ConfigurationProperties("metering.streams")
public record MeteringStreamsProperties(
        @DefaultValue("metering-streams") String applicationId,
        @DefaultValue("local") String instanceId,
        @DefaultValue("1") int threads,
        @DefaultValue("/tmp/metering-streams") String stateDir,
        @DefaultValue("6") int partitions,
        @DefaultValue("1") short replicationFactor,
        @DefaultValue("1") int minInsyncReplicas,
        @DefaultValue("0") int standbyReplicas,
        @DefaultValue("true") boolean staticMembership,
        @DefaultValue("true") boolean createTopics,
        @DefaultValue("true") boolean seedPriceBook,
        @DefaultValue("100ms") Duration commitInterval,
        @DefaultValue("none") String producerCompression,
        @DefaultValue Topology topology) {

    public MeteringStreamsProperties {
        if (instanceId == null || !instanceId.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("metering.streams.instance-id must be 1-100 of A-Z a-z 0-9 . _ -, was '" + instanceId + "'");
        }
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("metering.streams.threads must be 1-64, was " + threads);
        }
        if (partitions < 1 || partitions > 1000) {
            throw new IllegalArgumentException("metering.streams.partitions must be 1-1000, was " + partitions);
        }
        if (!java.util.List.of("none", "gzip", "snappy", "lz4", "zstd").contains(producerCompression)) {
            throw new IllegalArgumentException("metering.streams.producer-compression must be none, gzip, snappy, lz4 or zstd, was '"
                    + producerCompression + "'");
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("metering.streams.replication-factor must be at least 1, was " + replicationFactor);
        }
        if (minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor) {
            throw new IllegalArgumentException("metering.streams.min-insync-replicas must be 1 to the replication factor "
                    + replicationFactor + ", was " + minInsyncReplicas);
        }
        if (standbyReplicas < 0 || standbyReplicas > 10) {
            throw new IllegalArgumentException("metering.streams.standby-replicas must be 0-10, was " + standbyReplicas);
        }
    }

    /**
     * The configuration with its defaults and {@code overrides} (names as in application.yml, e.g.
     * {@code metering.streams.state-dir}): how the local launcher runs the topology as the service would.
     */
    public static MeteringStreamsProperties bind(Map<String, String> overrides) {
        return new Binder(new MapConfigurationPropertySource(overrides)).bindOrCreate("metering.streams", MeteringStreamsProperties.class);
    }

    /** {@code metering.streams.topology.*}: see {@link TopologySettings}. */
    public record Topology(@DefaultValue(TopologySettings.DEFAULT_DEDUPE_HORIZON) Duration dedupeHorizon) {

        /** {@code events}: the event rules' settings, which usage-ingest reads under the same names. */
        public TopologySettings toSettings(EventRules events) {
            return new TopologySettings(dedupeHorizon, events.maxClockSkew());
        }
    }

    /**
     * {@code metering.events.*}, read by usage-ingest under the same names: the event rules the topology checks
     * again for events written straight to Kafka.
     */
    @ConfigurationProperties("metering.events")
    public record EventRules(@DefaultValue(UsageEventRules.DEFAULT_MAX_CLOCK_SKEW) Duration maxClockSkew) {

        /** The settings with their defaults and {@code overrides} ({@code metering.events.max-clock-skew}). */
        public static EventRules bind(Map<String, String> overrides) {
            return new Binder(new MapConfigurationPropertySource(overrides)).bindOrCreate("metering.events", EventRules.class);
        }
    }
}
