package io.llmmetering.local.faults;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crashes that are real: the topology and the credit-api applier run as processes of their own and are
 * killed with kill -9 while proxies publish, then started again. Nothing may be lost, nothing charged twice,
 * and no balance committed before the crash may stay stale in Redis.
 */
@Tag("integration")
@Tag("reliability")
class ProcessCrashTest {

    @Test
    void killNineOfTheTopologyAndOfTheApplierMidStreamLosesNothingAndChargesNothingTwice(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        try (ProcessPipeline pipeline = new ProcessPipeline(dir).start()) {
            // 50 s of traffic; its last 1,000 events wait for the last phase, however long the restarts before it take
            ProxyFleet fleet = new ProxyFleet(pipeline, "k9", 200, 10_000, 200, 11);
            fleet.holdBackTheLast(1_000);
            LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
            Thread publishing = fleet.startInBackground();

            invariants.awaitApplied(300, Duration.ofSeconds(60));
            pipeline.streams.kill(); // mid-transaction: its open transaction is aborted by the broker's timeout
            ServiceProcess.sleep(2_000);
            pipeline.streams.start();

            long beforeApplierCrash = invariants.applied();
            invariants.awaitApplied(beforeApplierCrash + 300, Duration.ofSeconds(90));
            pipeline.api.kill(); // mid-batch: its offsets are in PostgreSQL with the rows, or neither is
            ServiceProcess.sleep(2_000);
            pipeline.api.start();

            // right after commits: Redis frozen for the rest of the traffic, so every batch the applier commits
            // from here on misses the cache; the applier dies with those balances unwritten and Redis still holding
            // the older ones (a 10 min TTL here), and no later debit will touch them: its successor must refresh them
            pipeline.api.awaitHealthy(Duration.ofSeconds(90));
            long beforeFreeze = invariants.applied();
            pipeline.pauseRedis();
            fleet.releaseTheRest();
            try {
                fleet.awaitPublished(publishing);
                invariants.awaitApplied(fleet.uniqueEventIds.size(), Duration.ofMinutes(3));
                assertThat(invariants.applied() - beforeFreeze).as("events committed while Redis was frozen").isGreaterThanOrEqualTo(300);
                assertThat(cachePendingBatches(pipeline)).as("batches committed whose balances never reached Redis").isPositive();
                pipeline.api.kill();
            } finally {
                pipeline.resumeRedis();
            }
            pipeline.api.start();
            // the successor refreshes those balances once it has the partitions (after the dead one's session timeout)
            try {
                Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> cachePendingBatches(pipeline) == 0);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // the invariants' check below names every balance Redis still lacks
            }

            assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();
        }
    }

    private static long cachePendingBatches(ProcessPipeline pipeline) throws java.sql.SQLException {
        try (java.sql.Connection c = pipeline.connect(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet row = s.executeQuery("SELECT count(*) FROM applier_cache_pending")) {
            row.next();
            return row.getLong(1);
        }
    }
}
