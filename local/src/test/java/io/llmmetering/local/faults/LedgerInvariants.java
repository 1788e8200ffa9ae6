package io.llmmetering.local.faults;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.DeadLetterHeaders;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The invariants of ARCHITECTURE.md, checked after a scenario against what the proxy fleet sent: every unique
 * valid event is in usage_events once and nothing else is; every user's balance is minus the price of their
 * unique events, to the nano-credit, and equals the sum of their ledger rows; every event that could not be
 * priced is in the dead-letter topic; and Redis serves no balance that PostgreSQL does not hold.
 */
final class LedgerInvariants {

    private final ProcessPipeline pipeline;
    private final ProxyFleet fleet;

    LedgerInvariants(ProcessPipeline pipeline, ProxyFleet fleet) {
        this.pipeline = pipeline;
        this.fleet = fleet;
    }

    /** Waits until every unique event is applied (or the timeout), then returns every discrepancy found. */
    List<String> check(Duration settle) throws Exception {
        long waitStarted = System.nanoTime();
        try {
            Awaitility.await().atMost(settle).pollInterval(Duration.ofMillis(500)).until(() -> applied() >= fleet.uniqueEventIds.size());
        } catch (ConditionTimeoutException e) {
            // what is still missing is reported below, event by event
        }
        double settledSeconds = (System.nanoTime() - waitStarted) / 1e9;
        List<String> discrepancies = new ArrayList<>();
        Set<String> applied = appliedEventIds();
        Set<String> missing = new HashSet<>(fleet.uniqueEventIds);
        missing.removeAll(applied);
        Set<String> unexpected = new HashSet<>(applied);
        unexpected.removeAll(fleet.uniqueEventIds);
        if (!missing.isEmpty()) {
            discrepancies.add(missing.size() + " events never applied, e.g. " + missing.iterator().next());
        }
        if (!unexpected.isEmpty()) {
            discrepancies.add(unexpected.size() + " events applied that were not valid unique calls, e.g. " + unexpected.iterator().next());
        }
        Map<String, Long> balances = sumByUser("SELECT user_id, balance FROM user_credits WHERE user_id LIKE ?");
        Map<String, Long> ledger = sumByUser("SELECT user_id, sum(amount) FROM credit_transactions WHERE user_id LIKE ? GROUP BY user_id");
        for (Map.Entry<String, Long> user : fleet.expectedNanos.entrySet()) {
            long charged = -balances.getOrDefault(user.getKey(), 0L);
            if (charged != user.getValue()) {
                discrepancies.add(user.getKey() + " charged " + Credits.ofNanos(charged) + ", expected " + Credits.ofNanos(user.getValue()));
            }
            if (!balances.getOrDefault(user.getKey(), 0L).equals(ledger.getOrDefault(user.getKey(), 0L))) {
                discrepancies.add(user.getKey() + " balance " + Credits.ofNanos(balances.getOrDefault(user.getKey(), 0L))
                        + " is not the sum of its ledger rows " + Credits.ofNanos(ledger.getOrDefault(user.getKey(), 0L)));
            }
        }
        Set<String> deadLettered = deadLetteredEventIds();
        Set<String> lost = new HashSet<>(fleet.invalidEventIds);
        lost.removeAll(deadLettered);
        if (!lost.isEmpty()) {
            discrepancies.add(lost.size() + " unpriceable events are not in " + Topics.USAGE_EVENTS_DLQ + ", e.g. " + lost.iterator().next());
        }
        discrepancies.addAll(cachedBalancesSettled(balances));
        System.out.printf("[faults] unique valid events %,d, applied %,d, unpriceable %d (dead-lettered %d), expected %s credits, charged %s credits, settled %.1f s after the last publish, batches retried by the proxies %d, discrepancies %d%n",
                fleet.uniqueEventIds.size(), applied.size(), fleet.invalidEventIds.size(), fleet.invalidEventIds.size() - lost.size(),
                Credits.ofNanos(fleet.expectedTotalNanos()),
                Credits.ofNanos(-balances.values().stream().mapToLong(Long::longValue).sum()), settledSeconds, fleet.retriedBatches.get(),
                discrepancies.size());
        return discrepancies;
    }

    /** Waits until at least {@code count} of the fleet's events are in the ledger. */
    void awaitApplied(long count, Duration timeout) {
        try {
            Awaitility.await().atMost(timeout).until(() -> applied() >= count);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("fewer than " + count + " events applied after " + timeout + "; " + pipeline.logs(), e);
        }
    }

    long applied() throws SQLException {
        try (Connection c = pipeline.connect(); PreparedStatement s = c.prepareStatement("SELECT count(*) FROM usage_events WHERE event_id LIKE ?")) {
            s.setString(1, fleet.eventPrefix() + "%");
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private Set<String> appliedEventIds() throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = pipeline.connect(); PreparedStatement s = c.prepareStatement("SELECT event_id FROM usage_events WHERE event_id LIKE ?")) {
            s.setString(1, fleet.eventPrefix() + "%");
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    if (!ids.add(r.getString(1))) {
                        throw new AssertionError("usage_events holds " + r.getString(1) + " twice");
                    }
                }
            }
        }
        return ids;
    }

    private Map<String, Long> sumByUser(String sql) throws SQLException {
        Map<String, Long> nanos = new HashMap<>();
        try (Connection c = pipeline.connect(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, fleet.userPrefix() + "%");
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    nanos.put(r.getString(1), Credits.ofExact(r.getBigDecimal(2)).nanos());
                }
            }
        }
        return nanos;
    }

    /** The event ids in usage.events.dlq (records that decode as usage events), each with a reason header. */
    private Set<String> deadLetteredEventIds() {
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : readAll(pipeline, Topics.USAGE_EVENTS_DLQ)) {
            try {
                ids.add(MessageCodec.of(UsageEvent.class).decode(record.value()).getEventId());
            } catch (RuntimeException poison) {
                // a poison record injected by a scenario: it has no event id
            }
        }
        return ids;
    }

    /** Every record of a topic, read committed, from the beginning to its end now. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(ProcessPipeline pipeline, String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = pipeline.kafka().consumer(Map.of(), Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Awaitility.await("the whole topic read").atMost(Duration.ofSeconds(30)).pollInSameThread().pollDelay(Duration.ZERO)
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
                    });
        }
        return records;
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    static String reason(ConsumerRecord<?, ?> record) {
        return header(record, DeadLetterHeaders.REASON);
    }

    /**
     * The applier writes Redis just after its PostgreSQL commit, so the ledger can be complete a moment before
     * the cache is (a CI run checked in that moment, after a restart had left a backlog applied in one batch
     * with every user in it). A cached balance still different from PostgreSQL 10 s later is a discrepancy.
     */
    private List<String> cachedBalancesSettled(Map<String, Long> balances) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                    .until(() -> cachedBalancesThatDisagree(balances).isEmpty());
        } catch (ConditionTimeoutException e) {
            // the disagreements that remain are the discrepancies
        }
        return cachedBalancesThatDisagree(balances);
    }

    /** Cached balances are a copy: any that PostgreSQL does not hold is a discrepancy. */
    private List<String> cachedBalancesThatDisagree(Map<String, Long> balances) {
        List<String> disagreements = new ArrayList<>();
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + pipeline.redisPort + "/0");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            for (Map.Entry<String, Long> balance : balances.entrySet()) {
                String cached = redis.sync().get("credits:balance:" + balance.getKey());
                if (cached != null && Credits.parse(cached).nanos() != balance.getValue()) {
                    disagreements.add("Redis holds " + cached + " for " + balance.getKey() + ", PostgreSQL " + Credits.ofNanos(balance.getValue()));
                }
            }
        } finally {
            client.shutdown();
        }
        return disagreements;
    }
}
