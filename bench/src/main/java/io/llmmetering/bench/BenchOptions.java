package io.llmmetering.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** What a benchmark command runs with; every option has a default for this machine. */
record BenchOptions(String command, long events, int users, double duplicateRate, long seed, List<Long> rates, List<Integer> connections, Path results,
                    String databaseBase, String databaseUser, String databasePassword, String redisUrl, int seconds, List<Integer> batches, String via,
                    long warmupEvents, int warmupSeconds, long baselineEvents, String spend, List<String> endpoints) {

    /** How credit-api applies holds, voids and deducts in an api run: the values of {@code --spend}. */
    static final List<String> SPEND_PATHS = List.of("batched", "per-request");

    static final List<String> COMMANDS = List.of("e2e", "baseline", "ratio", "jmh", "api", "ingest");

    static final String USAGE = """
            usage: java -jar bench/target/metering-bench.jar COMMAND [options]
              e2e        the real pipeline in this JVM (broker, exactly-once topology, applier, PostgreSQL, Redis), fed into
                         usage.events from a workload prepared before the clock starts; after a warm-up: unique events/s,
                         publish-to-Redis-balance latency, CPU per event by process, Kafka records and PostgreSQL rows per
                         event, invariants (discrepancies: 0). With --rate: paced steps, each holding its rate
              baseline   the same workload, one PostgreSQL transaction per event (as the seed's system), at each pool size
              ratio      baseline, e2e, baseline in one run: e2e's unique events/s over the mean of the two baselines
              jmh        JMH microbenchmarks of the per-event pure work (cost calculation, Avro encode and decode)
              api        HTTP load on credit-api with wrk (a separate process) at 8 connections: a static file of the
                         server (the floor), calculate-cost, balance warm and cold, authorize, holds over 200 accounts
                         and on one, deduct on one and on 1,000 accounts; requests/s, p50/p90/p99, share of the floor,
                         CPU per request of the server, PostgreSQL and Redis, cache hit rate
              ingest     HTTP load on usage-ingest with wrk, per batch size: requests/s, events/s, p50/p99; every
                         accepted event checked in the ledger
            options:
              --events N          events to publish after the warm-up (default 100000; duplicates count as events)
              --users U           distinct users (default 10000)
              --dup-rate R        share of events that are retries of the previous one (default 0.1)
              --seed S            workload seed (default 42)
              --warmup N          e2e: events published as fast as they go and applied before anything is
                                  measured, paced or not (default a fifth of --events, at most 200000)
              --via kafka|http    e2e: publish straight into usage.events (default) or through usage-ingest's HTTP API in
                                  batches of 500, as a proxy does
              --rate LIST         e2e: paced steps instead of a run as fast as the producer goes, e.g. 5000,10000:
                                  each step publishes at its rate for --warmup-seconds, then --seconds measured (lag
                                  bounded or not, latency, CPU per event); steps stop at the first rate not held.
                                  api: the first rate is published through the whole pipeline while the API is
                                  measured, as proxies check spend while they publish (e.g. --rate 5000)
              --warmup-seconds W  e2e with --rate: seconds each step runs before it is measured (default 30)
              --connections LIST  baseline pool sizes, e.g. 1,4,16 (default 1,4,16; ratio: 16); api: wrk's connections,
                                  each endpoint measured at each (default 8)
              --spend PATH        api: batched (default) or per-request, how credit-api applies holds and deducts
              --endpoints LIST    api: only these endpoints, e.g. authorize,holds,holds_one_account (default all)
              --baseline-events N ratio: events of each baseline run (default 100000)
              --seconds S         api, ingest: seconds of load per endpoint or batch size; e2e with --rate: measured
                                  seconds per step (default 15)
              --batch LIST        ingest: events per request, e.g. 1,100,1000 (default 1,100,1000)
              --results DIR       where <command>.json goes (default bench/results)
              --db-url URL        PostgreSQL server, e.g. jdbc:postgresql://127.0.0.1:5432/ (a fresh database is made per run)
              --redis-url URL     Redis for the e2e run (default redis://127.0.0.1:6379/0)
            """;

    static BenchOptions parse(String[] args, Map<String, String> env) {
        if (args.length == 0 || !COMMANDS.contains(args[0])) {
            throw new IllegalArgumentException("a command is required: " + String.join(", ", COMMANDS));
        }
        long events = 100_000;
        int users = 10_000;
        double duplicateRate = 0.1;
        long seed = 42;
        List<Long> rates = List.of();
        List<Integer> connections = args[0].equals("ratio") ? List.of(16) : args[0].equals("api") ? List.of(8) : List.of(1, 4, 16);
        String spend = "batched";
        List<String> endpoints = List.of();
        int seconds = 15;
        List<Integer> batches = List.of(1, 100, 1000);
        String via = "kafka";
        long warmup = -1;
        int warmupSeconds = 30;
        long baselineEvents = 100_000;
        Path results = Path.of("bench", "results");
        String db = env.getOrDefault("BENCH_DB_URL", "jdbc:postgresql://127.0.0.1:5432/");
        String redis = env.getOrDefault("REDIS_URL", "redis://127.0.0.1:6379/0");
        for (int i = 1; i < args.length; i++) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }
            String value = args[++i];
            try {
                switch (args[i - 1]) {
                    case "--events" -> events = positive(Long.parseLong(value), "--events");
                    case "--users" -> users = (int) positive(Integer.parseInt(value), "--users");
                    case "--dup-rate" -> duplicateRate = Double.parseDouble(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--rate" -> rates = Arrays.stream(value.split(",")).map(String::strip).map(Long::parseLong)
                            .map(rate -> positive(rate, "--rate")).toList();
                    case "--connections" -> connections = Arrays.stream(value.split(",")).map(String::strip).map(Integer::parseInt).toList();
                    case "--seconds" -> seconds = (int) positive(Integer.parseInt(value), "--seconds");
                    case "--batch" -> batches = Arrays.stream(value.split(",")).map(String::strip).map(Integer::parseInt).toList();
                    case "--via" -> via = value;
                    case "--warmup" -> warmup = Long.parseLong(value);
                    case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(value);
                    case "--baseline-events" -> baselineEvents = positive(Long.parseLong(value), "--baseline-events");
                    case "--results" -> results = Path.of(value);
                    case "--db-url" -> db = value.endsWith("/") ? value : value + "/";
                    case "--redis-url" -> redis = value;
                    case "--spend" -> spend = value;
                    case "--endpoints" -> endpoints = Arrays.stream(value.split(",")).map(String::strip).toList();
                    default -> throw new IllegalArgumentException("unknown option " + args[i - 1]);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(args[i - 1] + " needs a number, was '" + value + "'");
            }
        }
        if (duplicateRate < 0 || duplicateRate >= 1) {
            throw new IllegalArgumentException("--dup-rate must be in [0, 1)");
        }
        if (connections.isEmpty() || connections.stream().anyMatch(c -> c < 1 || c > 256)) {
            throw new IllegalArgumentException("--connections must list pool sizes from 1 to 256");
        }
        if (!SPEND_PATHS.contains(spend)) {
            throw new IllegalArgumentException("--spend must be one of " + SPEND_PATHS + ", was '" + spend + "'");
        }
        if (!via.equals("kafka") && !via.equals("http")) {
            throw new IllegalArgumentException("--via must be kafka or http, was '" + via + "'");
        }
        if (batches.isEmpty() || batches.stream().anyMatch(b -> b < 1 || b > 10_000)) {
            throw new IllegalArgumentException("--batch must list batch sizes from 1 to 10000 (ingest's limit per request)");
        }
        if (warmupSeconds < 0 || warmup < -1) {
            throw new IllegalArgumentException("--warmup and --warmup-seconds must not be negative");
        }
        if (args[0].equals("ratio") && !rates.isEmpty()) {
            throw new IllegalArgumentException("ratio compares throughput: --rate does not apply");
        }
        if (warmup == -1) {
            warmup = Math.min(events / 5, 200_000);
        }
        if (events + warmup > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--events and --warmup must add up to at most " + (Integer.MAX_VALUE - 8));
        }
        return new BenchOptions(args[0], events, users, duplicateRate, seed, rates, connections, results, db,
                env.getOrDefault("METERING_DB_USER", "postgres"), env.getOrDefault("METERING_DB_PASSWORD", ""), redis, seconds, batches, via,
                warmup, warmupSeconds, baselineEvents, spend, endpoints);
    }

    /** The baseline runs of a ratio command: the same workload settings, its own event count. */
    BenchOptions forBaseline() {
        return new BenchOptions("baseline", baselineEvents, users, duplicateRate, seed, List.of(), connections, results, databaseBase, databaseUser,
                databasePassword, redisUrl, seconds, batches, via, 0, warmupSeconds, baselineEvents, spend, endpoints);
    }

    /** The e2e run of a ratio command. */
    BenchOptions forEndToEnd() {
        return new BenchOptions("e2e", events, users, duplicateRate, seed, rates, connections, results, databaseBase, databaseUser,
                databasePassword, redisUrl, seconds, batches, via, warmupEvents, warmupSeconds, baselineEvents, spend, endpoints);
    }

    private static long positive(long value, String flag) {
        if (value < 1) {
            throw new IllegalArgumentException(flag + " must be positive");
        }
        return value;
    }

    static String runId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    }
}
