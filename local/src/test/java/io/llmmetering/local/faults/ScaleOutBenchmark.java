package io.llmmetering.local.faults;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka's own scale-out on this machine: the same traffic through one topology process and one credit-api
 * (applier) process, then through two of each on the same topics. Prints how the partitions are shared, what
 * each instance did, and the throughput of both phases, first publish to last debit applied; the invariants
 * must hold in both. Run with {@code ./mvnw -B -Pbenchmark -pl local verify -Dtest=ScaleOutBenchmark}.
 * On one 2-core box a second instance adds no cores, so this shows the sharing and its overhead, not a speed-up:
 * SCALING.md does the arithmetic for more machines.
 */
@Tag("benchmark")
class ScaleOutBenchmark {

    private static final int EVENTS = Integer.getInteger("scaleout.events", 200_000);
    private static final Pattern APPLIED = Pattern.compile("(?m)^credit_applier_debits_applied_total(?:\\{[^}]*})? ([0-9.E]+)");

    @Test
    void twoTopologiesAndTwoAppliersShareThePartitionsAndKeepTheLedgerExact(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        try (ProcessPipeline pipeline = new ProcessPipeline(dir).start()) {
            double one = phase(pipeline, "one", List.of(pipeline.api));

            ServiceProcess streamsB = pipeline.meteringStreams("metering-streams-b").start();
            ServiceProcess apiB = pipeline.creditApi("credit-api-b").start();
            streamsB.awaitHealthy(Duration.ofSeconds(120));
            apiB.awaitHealthy(Duration.ofSeconds(120));
            printMembers(pipeline, "metering-streams");
            printMembers(pipeline, "credit-api-debit-applier");
            double two = phase(pipeline, "two", List.of(pipeline.api, apiB));
            System.out.printf("[scale-out] one instance each: %,.0f events/s; two each: %,.0f events/s (%.2fx) on %d cores%n",
                    one, two, two / one, Runtime.getRuntime().availableProcessors());
        }
    }

    /** Publishes {@link #EVENTS} straight into usage.events and returns events/s to the last debit applied. */
    private static double phase(ProcessPipeline pipeline, String name, List<ServiceProcess> appliers) throws Exception {
        double[] appliedBefore = appliers.stream().mapToDouble(ScaleOutBenchmark::applied).toArray();
        ProxyFleet fleet = new ProxyFleet(pipeline, "scale-" + name, 100_000, EVENTS, 0, 42, true);
        LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
        long started = System.nanoTime();
        Thread publishing = fleet.startInBackground();
        fleet.awaitPublished(publishing);
        invariants.awaitApplied(fleet.uniqueEventIds.size(), Duration.ofMinutes(15));
        double seconds = (System.nanoTime() - started) / 1e9;
        assertThat(invariants.check(Duration.ofMinutes(1))).as(pipeline.logs()).isEmpty();
        double rate = EVENTS / seconds;
        System.out.printf("[scale-out] %s: %,d events (%,d unique) in %.1f s = %,.0f events/s%n", name, EVENTS, fleet.uniqueEventIds.size(), seconds, rate);
        for (int i = 0; i < appliers.size(); i++) {
            System.out.printf("[scale-out]   %s applied %,.0f debits%n", appliers.get(i).name(), applied(appliers.get(i)) - appliedBefore[i]);
        }
        return rate;
    }

    private static double applied(ServiceProcess api) {
        Matcher m = APPLIED.matcher(api.metrics());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Waits until both members own partitions (a new topology instance warms its state up first) and prints them. */
    private static void printMembers(ProcessPipeline pipeline, String group) throws Exception {
        long started = System.nanoTime();
        long deadline = started + Duration.ofMinutes(4).toNanos();
        try (Admin admin = pipeline.broker.admin()) {
            List<MemberDescription> members;
            do {
                Thread.sleep(500);
                members = List.copyOf(admin.describeConsumerGroups(List.of(group)).all().get().get(group).members());
            } while ((members.size() < 2 || members.stream().anyMatch(m -> m.assignment().topicPartitions().isEmpty())) && System.nanoTime() < deadline);
            System.out.printf("[scale-out] %s after %.0f s: %s%n", group, (System.nanoTime() - started) / 1e9, members.stream().map(m -> m.host() + " " + m.assignment().topicPartitions().stream()
                    .filter(tp -> !tp.topic().contains("changelog")).map(tp -> tp.topic() + "-" + tp.partition()).sorted().toList()).toList());
        }
    }
}
