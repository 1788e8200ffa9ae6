package io.llmmetering.local.faults;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crashes that are real: the topology and the credit-api applier run as processes of their own and are
 * killed with kill -9 while proxies publish, then started again. Nothing may be lost, nothing charged twice.
 */
@Tag("integration")
@Tag("reliability")
class ProcessCrashTest {

    @Test
    void killNineOfTheTopologyAndOfTheApplierMidStreamLosesNothingAndChargesNothingTwice(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        try (ProcessPipeline pipeline = new ProcessPipeline(dir).start()) {
            ProxyFleet fleet = new ProxyFleet(pipeline, "k9", 200, 4_000, 200, 11);
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

            fleet.awaitPublished(publishing);
            assertThat(invariants.check(Duration.ofMinutes(3))).as(pipeline.logs()).isEmpty();
        }
    }
}
