package io.llmmetering.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One benchmark command ({@code e2e}, {@code api}...) and the options every command takes; each option's help says
 * which commands it applies to. Runs the benchmark and exits 1 when its invariants do not hold.
 */
@Command(sortOptions = false)
final class BenchRun implements Callable<Integer> {

    private static final int MOST_EVENTS = Integer.MAX_VALUE - 8;

    private final String command;
    private final Map<String, String> environment;
    @Spec
    private CommandSpec spec;
    @Option(names = "--events", paramLabel = "N", defaultValue = "100000",
            description = "events to publish after the warm-up (default ${DEFAULT-VALUE}; duplicates count as events)")
    private long events;
    @Option(names = "--users", paramLabel = "U", defaultValue = "10000", description = "distinct users (default ${DEFAULT-VALUE})")
    private int users;
    @Option(names = "--dup-rate", paramLabel = "R", defaultValue = "0.1",
            description = "share of events that are retries of the previous one (default ${DEFAULT-VALUE})")
    private double duplicateRate;
    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "workload seed (default ${DEFAULT-VALUE})")
    private long seed;
    @Option(names = "--users-skew", paramLabel = "EXPONENT", description = "who makes the calls: Zipf with this exponent, e.g. "
            + "1.1 (the user of rank k calls in proportion to 1/k^EXPONENT: over 100000 users the busiest makes 13.5 % of the "
            + "calls); default the workload's own mix (user = users * u^2.5, the first 1 % of users make 16 %)")
    private Double usersSkew;
    @Option(names = "--warmup", paramLabel = "N", description = "e2e: events of a warm-up pass, published as fast as they go and "
            + "applied before anything is measured, paced or not (default a fifth of --events, at most 200000)")
    private Long warmup;
    @Option(names = "--warmup-passes", paramLabel = "P", defaultValue = "10", description = "e2e: warm-up passes at most; they end "
            + "after the first in which the JIT spent less than a tenth of all CPU (default ${DEFAULT-VALUE})")
    private int warmupPasses;
    @Option(names = "--via", paramLabel = "kafka|http", defaultValue = "kafka", description = "e2e: publish straight into "
            + "usage.events (default) or through usage-ingest's HTTP API, as proxies do (--http-batch, --http-senders)")
    private String via;
    @Option(names = "--http-batch", paramLabel = "N", defaultValue = "2000",
            description = "e2e --via http: events per request (default ${DEFAULT-VALUE})")
    private int httpBatch;
    @Option(names = "--http-senders", paramLabel = "N", defaultValue = "4",
            description = "e2e --via http: requests in flight at once, as from that many proxies (default ${DEFAULT-VALUE})")
    private int httpSenders;
    @Option(names = "--rate", paramLabel = "LIST", split = ",", description = "e2e: paced steps instead of a run as fast as the "
            + "producer goes, e.g. 5000,10000: each step publishes at its rate for --warmup-seconds, then --seconds measured (lag "
            + "bounded or not, latency, CPU per event); steps stop at the first rate not held. api: the first rate is published "
            + "through the whole pipeline while the API is measured, as proxies check spend while they publish (e.g. --rate 5000)")
    private List<Long> rates = List.of();
    @Option(names = "--warmup-seconds", paramLabel = "W", defaultValue = "30",
            description = "e2e with --rate: seconds each step runs before it is measured (default ${DEFAULT-VALUE})")
    private int warmupSeconds;
    @Option(names = "--connections", paramLabel = "LIST", split = ",", description = "baseline pool sizes, e.g. 1,4,16 (default "
            + "1,4,16; ratio: 16); api: wrk's connections, each endpoint measured at each (default 8)")
    private List<Integer> connections;
    @Option(names = "--spend", paramLabel = "PATH", defaultValue = "batched",
            description = "api: batched (default) or per-request, how credit-api applies holds and deducts")
    private String spend;
    @Option(names = "--endpoints", paramLabel = "LIST", split = ",",
            description = "api: only these endpoints, e.g. authorize,holds,holds_one_account (default all)")
    private List<String> endpoints = List.of();
    @Option(names = "--baseline-events", paramLabel = "N", defaultValue = "100000",
            description = "ratio: events of each baseline run (default ${DEFAULT-VALUE})")
    private long baselineEvents;
    @Option(names = "--seconds", paramLabel = "S", defaultValue = "15", description = "api, ingest: seconds of load per endpoint or "
            + "batch size; e2e with --rate: measured seconds per step (default ${DEFAULT-VALUE})")
    private int seconds;
    @Option(names = "--batch", paramLabel = "LIST", split = ",", defaultValue = "1,100,1000",
            description = "ingest: events per request, e.g. 1,100,1000 (default ${DEFAULT-VALUE})")
    private List<Integer> batches;
    @Option(names = "--iterations", paramLabel = "N", defaultValue = "5",
            description = "jmh: measured one-second iterations per benchmark, after as many warm-up ones up to 3 (default ${DEFAULT-VALUE})")
    private int iterations;
    @Option(names = "--results", paramLabel = "DIR", defaultValue = "bench/results",
            description = "where <command>.json goes (default ${DEFAULT-VALUE})")
    private Path results;
    @Option(names = "--db-url", paramLabel = "URL", defaultValue = "jdbc:postgresql://127.0.0.1:5432/", description = "PostgreSQL "
            + "server (default $BENCH_DB_URL or ${DEFAULT-VALUE}); a fresh database is made per run")
    private String databaseUrl;
    @Option(names = "--redis-url", paramLabel = "URL", defaultValue = "redis://127.0.0.1:6379/0",
            description = "Redis for the e2e run (default $REDIS_URL or ${DEFAULT-VALUE})")
    private String redisUrl;

    BenchRun(String command, Map<String, String> environment) {
        this.command = command;
        this.environment = environment;
    }

    @Override
    public Integer call() throws Exception {
        BenchResult result = BenchCommand.run(options());
        return ((Number) result.get("discrepancies")).longValue() == 0 ? 0 : 1;
    }

    BenchOptions options() {
        require(events >= 1 && users >= 1 && seconds >= 1 && baselineEvents >= 1 && iterations >= 1,
                "--events, --users, --seconds, --baseline-events and --iterations must be positive");
        require(duplicateRate >= 0 && duplicateRate < 1, "--dup-rate must be in [0, 1)");
        require(usersSkew == null || (usersSkew > 0 && usersSkew <= 5), "--users-skew must be a Zipf exponent above 0 and at most 5");
        require(rates.stream().allMatch(rate -> rate >= 1), "--rate must list positive rates");
        List<Integer> pools = connections != null ? connections : command.equals("ratio") ? List.of(16) : command.equals("api") ? List.of(8) : List.of(1, 4, 16);
        require(!pools.isEmpty() && pools.stream().allMatch(c -> c >= 1 && c <= 256), "--connections must list pool sizes from 1 to 256");
        require(BenchOptions.SPEND_PATHS.contains(spend), "--spend must be one of " + BenchOptions.SPEND_PATHS + ", was '" + spend + "'");
        require(via.equals("kafka") || via.equals("http"), "--via must be kafka or http, was '" + via + "'");
        require(!batches.isEmpty() && batches.stream().allMatch(b -> b >= 1 && b <= 10_000),
                "--batch must list batch sizes from 1 to 10000 (ingest's limit per request)");
        require(httpBatch >= 1 && httpBatch <= 10_000 && httpSenders >= 1 && httpSenders <= 64,
                "--http-batch must be from 1 to 10000 (ingest's limit per request) and --http-senders from 1 to 64");
        require(warmupSeconds >= 0 && (warmup == null || warmup >= 0), "--warmup and --warmup-seconds must not be negative");
        require(warmupPasses >= 1 && warmupPasses <= 20, "--warmup-passes must be from 1 to 20");
        require(!command.equals("ratio") || rates.isEmpty(), "ratio compares throughput: --rate does not apply");
        long warmupEvents = warmup != null ? warmup : Math.min(events / 5, 200_000);
        require(events + warmupEvents * warmupPasses <= MOST_EVENTS, "--events and --warmup times --warmup-passes must add up to at most " + MOST_EVENTS);
        return new BenchOptions(command, events, users, duplicateRate, seed, rates, pools, results,
                databaseUrl.endsWith("/") ? databaseUrl : databaseUrl + "/", environment.getOrDefault("METERING_DB_USER", "postgres"),
                environment.getOrDefault("METERING_DB_PASSWORD", ""), redisUrl, seconds, batches, via, warmupEvents, warmupPasses, warmupSeconds,
                baselineEvents, spend, endpoints, iterations, usersSkew == null ? 0 : usersSkew,
                httpBatch, httpSenders);
    }

    private void require(boolean holds, String otherwise) {
        if (!holds) {
            throw new ParameterException(spec.commandLine(), otherwise);
        }
    }

}
