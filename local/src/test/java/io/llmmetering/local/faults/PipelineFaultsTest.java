package io.llmmetering.local.faults;

import io.llmmetering.schemas.DeadLetterHeaders;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults of the environment while proxies publish through the whole pipeline (every service in a process of
 * its own): the broker restarting, instances joining and leaving, poison on every consumed topic, PostgreSQL
 * connections killed and Redis lost. After each, the ledger must hold every unique event once, to the
 * nano-credit. The scenarios share one running pipeline, each with traffic of its own.
 */
@Tag("integration")
@Tag("reliability")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineFaultsTest {

    private ProcessPipeline pipeline;

    @BeforeAll
    void startPipeline(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        pipeline = new ProcessPipeline(dir).start();
    }

    @AfterAll
    void stopPipeline() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void aBrokerRestartUnderTrafficIsAbsorbedByRetriesAndChargesEachEventOnce() throws Exception {
        ProxyFleet fleet = new ProxyFleet(pipeline, "broker", 150, 3_000, 200, 21);
        LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
        Thread publishing = fleet.startInBackground();
        invariants.awaitApplied(300, Duration.ofSeconds(60));

        pipeline.broker.stop(); // longer than ingest's 10 s acknowledgement timeout: proxies see 503 and retry
        ServiceProcess.sleep(12_000);
        pipeline.broker.start();

        fleet.awaitPublished(publishing);
        assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();
        assertThat(fleet.retriedBatches.get()).as("batches the proxies had to send again").isPositive();
    }

    @Test
    void aSecondTopologyAndASecondApplierJoinShareThePartitionsAndLeave() throws Exception {
        ProxyFleet fleet = new ProxyFleet(pipeline, "rebalance", 150, 12_000, 200, 22);
        LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
        Thread publishing = fleet.startInBackground();
        invariants.awaitApplied(300, Duration.ofSeconds(60));

        ServiceProcess streamsB = pipeline.meteringStreams("metering-streams-b").start();
        ServiceProcess apiB = pipeline.creditApi("credit-api-b").start();
        try {
            streamsB.awaitHealthy(Duration.ofSeconds(120));
            apiB.awaitHealthy(Duration.ofSeconds(120));
            assertEveryMemberOwnsPartitions("metering-streams", 2);
            // each credit-api runs two appliers (credit.applier.concurrency), each a member of the group
            assertEveryMemberOwnsPartitions("credit-api-debit-applier", 4);
            // both instances take traffic until the proxies are done (a new topology instance gets its tasks after
            // a warm-up and the next probing rebalance, so the fleet may be done by then)
            fleet.awaitPublished(publishing);
        } finally {
            streamsB.stop(); // a graceful leave: the partitions go back to the first instances
            apiB.kill();     // a crash: its partitions move after the session timeout
        }

        fleet.awaitPublished(publishing);
        assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();
    }

    @Test
    void poisonOnEveryConsumedTopicIsSetAsideWithItsReasonAndProcessingGoesOn() throws Exception {
        ProxyFleet fleet = new ProxyFleet(pipeline, "junk", 150, 2_000, 200, 23);
        LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
        Thread publishing = fleet.startInBackground();
        invariants.awaitApplied(200, Duration.ofSeconds(60));
        for (String topic : PoisonRecords.CONSUMED_TOPICS) {
            for (int variant = 0; variant < 3; variant++) {
                PoisonRecords.send(pipeline, topic, variant);
            }
        }

        fleet.awaitPublished(publishing);
        assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();
        // the two topics that carry money dead-letter their poison, with the reason and where it came from
        for (String[] route : new String[][]{{Topics.USAGE_EVENTS, Topics.USAGE_EVENTS_DLQ}, {Topics.CREDIT_DEBITS, Topics.CREDIT_DEBITS_DLQ}}) {
            List<ConsumerRecord<byte[], byte[]>> poison = LedgerInvariants.readAll(pipeline, route[1]).stream()
                    .filter(r -> r.key() != null && new String(r.key()).startsWith("poison-record-")).toList();
            assertThat(poison).as(route[1] + ": " + poison.stream().map(r -> new String(r.key()) + "@" + r.partition() + "/" + r.offset()
                    + " " + LedgerInvariants.reason(r) + " " + LedgerInvariants.header(r, DeadLetterHeaders.SOURCE_OFFSET)).toList()).hasSize(3);
            assertThat(poison).allSatisfy(letter -> {
                assertThat(LedgerInvariants.reason(letter)).isNotBlank();
                assertThat(LedgerInvariants.header(letter, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(route[0]);
            });
        }
        // the compacted settings topics are not money: their poison is logged and skipped
        assertThat(Files.readString(pipeline.api.log())).contains("ignoring undecodable price record");
        String topologyLog = Files.readString(pipeline.streams.log());
        assertThat(topologyLog).contains(Topics.PRICING_MODELS).contains(Topics.CREDIT_ACCOUNTS).containsIgnoringCase("deserializ");
    }

    @Test
    void killedDatabaseConnectionsAndALostRedisLeaveTheLedgerAndTheCacheExact() throws Exception {
        ProxyFleet fleet = new ProxyFleet(pipeline, "outages", 150, 3_000, 200, 24);
        LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
        Thread publishing = fleet.startInBackground();
        invariants.awaitApplied(300, Duration.ofSeconds(60));
        int terminated = 0;
        for (int i = 0; i < 5; i++) {
            terminated += pipeline.terminateDatabaseConnections();
            ServiceProcess.sleep(700);
        }
        pipeline.killRedis();
        ServiceProcess.sleep(4_000);
        pipeline.startRedis(); // empty: the cache refills from PostgreSQL

        fleet.awaitPublished(publishing);
        assertThat(terminated).isPositive();
        assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();
    }

    /** Every member of the consumer group ({@code members} after the join) is assigned at least one partition. */
    private void assertEveryMemberOwnsPartitions(String group, int expectedMembers) throws Exception {
        try (Admin admin = pipeline.broker.admin()) {
            // the probing rebalance comes every 60 s
            Awaitility.await(group + " members each owning partitions").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).until(() -> {
                Map<String, ConsumerGroupDescription> groups = admin.describeConsumerGroups(List.of(group)).all().get();
                List<MemberDescription> members = List.copyOf(groups.get(group).members());
                if (members.size() == expectedMembers && members.stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
                    System.out.printf("[faults] %s: %s%n", group, members.stream()
                            .map(m -> m.clientId() + " owns " + m.assignment().topicPartitions().size()).toList());
                    return true;
                }
                return false;
            });
        }
    }
}
