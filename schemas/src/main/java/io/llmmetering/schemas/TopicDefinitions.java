package io.llmmetering.schemas;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

import java.util.List;
import java.util.Map;

/**
 * How each topic is created: partitions, replication and retention or compaction. One place, so the local
 * launcher, the services and the tests create the same topics.
 */
public final class TopicDefinitions {

    private TopicDefinitions() {
    }

    /**
     * @param partitions        partitions of the keyed-by-user topics; the unit of parallelism of the topology
     *                          and the applier (6 suits one small box; more instances need more)
     * @param replicationFactor 1 on a single broker, 3 in production
     */
    public static List<NewTopic> all(int partitions, short replicationFactor) {
        return all(partitions, replicationFactor, 1);
    }

    /**
     * @param minInsyncReplicas replicas that must have a record before an {@code acks=all} write succeeds: 1 on a
     *                          single broker, 2 with a replication factor of 3 (a broker may die, nothing is lost)
     */
    public static List<NewTopic> all(int partitions, short replicationFactor, int minInsyncReplicas) {
        if (minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor) {
            throw new IllegalArgumentException("min.insync.replicas must be 1 to the replication factor " + replicationFactor
                    + ", was " + minInsyncReplicas);
        }
        Map<String, String> isr = Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minInsyncReplicas));
        Map<String, String> compacted = with(isr, TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0");
        Map<String, String> week = with(isr, TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000));
        Map<String, String> month = with(isr, TopicConfig.RETENTION_MS_CONFIG, String.valueOf(30L * 24 * 3600 * 1000));
        return List.of(
                topic(Topics.USAGE_EVENTS, partitions, replicationFactor, week),
                topic(Topics.USAGE_EVENTS_DLQ, 1, replicationFactor, month),
                // the price book and account states are read whole by every instance (global tables): one partition
                topic(Topics.PRICING_MODELS, 1, replicationFactor, compacted),
                topic(Topics.CREDIT_ACCOUNTS, partitions, replicationFactor, compacted),
                topic(Topics.CREDIT_DEBITS, partitions, replicationFactor, week),
                topic(Topics.CREDIT_DEBITS_DLQ, 1, replicationFactor, month),
                topic(Topics.CREDIT_ALERTS, partitions, replicationFactor, month));
    }

    private static Map<String, String> with(Map<String, String> base, String... pairs) {
        Map<String, String> configs = new java.util.HashMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) {
            configs.put(pairs[i], pairs[i + 1]);
        }
        return Map.copyOf(configs);
    }

    private static NewTopic topic(String name, int partitions, short replicationFactor, Map<String, String> configs) {
        return new NewTopic(name, partitions, replicationFactor).configs(configs);
    }
}
