package io.llmmetering.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** What a benchmark command runs with; every option has a default for this machine. */
record BenchOptions(String command, long events, int users, double duplicateRate, long seed, long rate, List<Integer> connections, Path results,
                    String databaseBase, String databaseUser, String databasePassword, String redisUrl, int seconds, List<Integer> batches, String via) {

    static final String USAGE = """
            usage: java -jar bench/target/metering-bench.jar COMMAND [options]
              e2e        the real pipeline in this JVM (broker, exactly-once topology, applier, PostgreSQL, Redis), fed into
                         usage.events; events/s, publish-to-ledger latency, lag, invariants (discrepancies: 0)
              baseline   the same workload, one PostgreSQL transaction per event (as the seed's system), at each pool size
              jmh        JMH microbenchmarks of the per-event pure work (cost calculation, Avro encode and decode)
              api        HTTP load on credit-api with wrk (a separate process): calculate-cost, balance warm and cold,
                         authorize, holds, deduct; requests/s, p50/p90/p99, cache hit rate
              ingest     HTTP load on usage-ingest with wrk, per batch size: requests/s, events/s, p50/p99; every
                         accepted event checked in the ledger
            options:
              --events N          events to publish (default 100000; duplicates count as events)
              --users U           distinct users (default 10000)
              --dup-rate R        share of events that are retries of the previous one (default 0.1)
              --seed S            workload seed (default 42)
              --via kafka|http    e2e: publish straight into usage.events (default) or through usage-ingest's HTTP API in
                                  batches of 500, as a proxy does
              --rate R            e2e: publish at most R events/s (default: as fast as the producer goes), for latency
                                  at a sustainable rate
              --connections LIST  baseline pool sizes, e.g. 1,4,16 (default 1,4,16)
              --seconds S         api, ingest: seconds of load per endpoint or batch size (default 15)
              --batch LIST        ingest: events per request, e.g. 1,100,1000 (default 1,100,1000)
              --results DIR       where <command>.json goes (default bench/results)
              --db-url URL        PostgreSQL server, e.g. jdbc:postgresql://127.0.0.1:5432/ (a fresh database is made per run)
              --redis-url URL     Redis for the e2e run (default redis://127.0.0.1:6379/0)
            """;

    static BenchOptions parse(String[] args, Map<String, String> env) {
        if (args.length == 0 || !List.of("e2e", "baseline", "jmh", "api", "ingest").contains(args[0])) {
            throw new IllegalArgumentException("a command is required: e2e, baseline, jmh, api or ingest");
        }
        long events = 100_000;
        int users = 10_000;
        double duplicateRate = 0.1;
        long seed = 42;
        long rate = 0;
        List<Integer> connections = List.of(1, 4, 16);
        int seconds = 15;
        List<Integer> batches = List.of(1, 100, 1000);
        String via = "kafka";
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
                    case "--rate" -> rate = positive(Long.parseLong(value), "--rate");
                    case "--connections" -> connections = Arrays.stream(value.split(",")).map(String::strip).map(Integer::parseInt).toList();
                    case "--seconds" -> seconds = (int) positive(Integer.parseInt(value), "--seconds");
                    case "--batch" -> batches = Arrays.stream(value.split(",")).map(String::strip).map(Integer::parseInt).toList();
                    case "--via" -> via = value;
                    case "--results" -> results = Path.of(value);
                    case "--db-url" -> db = value.endsWith("/") ? value : value + "/";
                    case "--redis-url" -> redis = value;
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
        if (!via.equals("kafka") && !via.equals("http")) {
            throw new IllegalArgumentException("--via must be kafka or http, was '" + via + "'");
        }
        if (batches.isEmpty() || batches.stream().anyMatch(b -> b < 1 || b > 10_000)) {
            throw new IllegalArgumentException("--batch must list batch sizes from 1 to 10000 (ingest's limit per request)");
        }
        return new BenchOptions(args[0], events, users, duplicateRate, seed, rate, connections, results, db,
                env.getOrDefault("METERING_DB_USER", "postgres"), env.getOrDefault("METERING_DB_PASSWORD", ""), redis, seconds, batches, via);
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
