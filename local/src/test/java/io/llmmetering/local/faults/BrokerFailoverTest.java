package io.llmmetering.local.faults;

import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.schemas.Topics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three brokers (one KRaft quorum), every topic at replication factor 3 with two in-sync replicas required: the
 * broker that leads the most partitions stops under a steady stream of events and starts again. Publishing and
 * charging pause while leadership moves, and nothing is lost or charged twice.
 */
@Tag("integration")
@Tag("reliability")
class BrokerFailoverTest {

    @Test
    void stoppingTheBrokerThatLeadsMostPartitionsLosesNothingAndChargesNothingTwice(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir)
            throws Exception {
        try (ProcessPipeline pipeline = new ProcessPipeline(dir, EmbeddedKafkaBroker.builder().nodes(3), (broker, service) -> List.of()).start()) {
            ProxyFleet fleet = new ProxyFleet(pipeline, "failover", 100, 6_000, 200, 31);
            LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
            Thread publishing = fleet.startInBackground();
            invariants.awaitApplied(500, Duration.ofSeconds(90));

            Map<Integer, Integer> leaders = pipeline.broker.leadersOf(List.of(Topics.USAGE_EVENTS, Topics.CREDIT_DEBITS));
            int busiest = leaders.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            long stoppedAt = System.nanoTime();
            pipeline.broker.stopNode(busiest);
            long stopMillis = Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis();
            long longestChargingPauseMillis = longestPause(invariants, Duration.ofSeconds(15));
            pipeline.broker.startNode(busiest);
            long restartPauseMillis = longestPause(invariants, Duration.ofSeconds(10));

            fleet.awaitPublished(publishing);
            List<String> discrepancies = invariants.check(Duration.ofMinutes(3));
            System.out.printf("[faults] broker failover: node %d led %s partitions of usage.events and credit.debits, stopped in %d ms;"
                            + " charging paused at most %d ms while it was down and %d ms after it rejoined; batches the proxies retried %d%n",
                    busiest, leaders, stopMillis, longestChargingPauseMillis, restartPauseMillis, fleet.retriedBatches.get());
            assertThat(discrepancies).as(pipeline.logs()).isEmpty();
        }
    }

    /** Samples the ledger for {@code window}: the longest time in which no event was charged. */
    private static long longestPause(LedgerInvariants invariants, Duration window) throws Exception {
        long end = System.nanoTime() + window.toNanos();
        long last = invariants.applied();
        long lastMoved = System.nanoTime();
        long longest = 0;
        while (System.nanoTime() < end) {
            Thread.sleep(100);
            long now = invariants.applied();
            if (now != last) {
                longest = Math.max(longest, System.nanoTime() - lastMoved);
                lastMoved = System.nanoTime();
                last = now;
            }
        }
        return Duration.ofNanos(Math.max(longest, System.nanoTime() - lastMoved)).toMillis();
    }
}
