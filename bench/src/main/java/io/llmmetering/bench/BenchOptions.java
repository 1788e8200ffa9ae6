package io.llmmetering.bench;

import io.llmmetering.local.Workload;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** What a benchmark command runs with; every option has a default for this machine ({@link BenchCommand} parses them). */
record BenchOptions(String command, long events, int users, double duplicateRate, long seed, List<Long> rates, List<Integer> connections, Path results,
                    String databaseBase, String databaseUser, String databasePassword, String redisUrl, int seconds, List<Integer> batches, String via,
                    long warmupEvents, int warmupPasses, int warmupSeconds, long baselineEvents, String spend, List<String> endpoints, int iterations,
                    double usersSkew, int httpBatch, int httpSenders) {

    /** How credit-api applies holds, voids and deducts in an api run: the values of {@code --spend}. */
    static final List<String> SPEND_PATHS = List.of("batched", "per-request");

    /** The baseline runs of a ratio command: the same workload settings, its own event count. */
    BenchOptions forBaseline() {
        return new BenchOptions("baseline", baselineEvents, users, duplicateRate, seed, List.of(), connections, results, databaseBase, databaseUser,
                databasePassword, redisUrl, seconds, batches, via, 0, warmupPasses, warmupSeconds, baselineEvents, spend, endpoints, iterations, usersSkew, httpBatch, httpSenders);
    }

    /** The e2e run of a ratio command. */
    BenchOptions forEndToEnd() {
        return new BenchOptions("e2e", events, users, duplicateRate, seed, rates, connections, results, databaseBase, databaseUser,
                databasePassword, redisUrl, seconds, batches, via, warmupEvents, warmupPasses, warmupSeconds, baselineEvents, spend, endpoints, iterations, usersSkew, httpBatch, httpSenders);
    }

    /** Who makes the calls: the workload's default mix, or Zipf with the {@code --users-skew} exponent. */
    Workload.UserMix userMix() {
        return usersSkew > 0 ? Workload.UserMix.zipf(usersSkew, users) : Workload.UserMix.DEFAULT;
    }

    static String runId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    }
}
