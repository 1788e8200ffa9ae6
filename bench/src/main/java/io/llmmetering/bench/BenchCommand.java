package io.llmmetering.bench;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.migrations.EnvironmentDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code java -jar bench/target/metering-bench.jar e2e|baseline|ratio|jmh|api|ingest [options]}: runs one benchmark,
 * prints its figures and one summary line, writes them to {@code bench/results/<command>.json}, and exits 1 when the
 * invariants do not hold. e2e compares itself with the last baseline in the same results directory. A command-line
 * tool: it reports on stdout.
 */
@Command(name = "metering-bench", description = "Runs one benchmark against this machine's PostgreSQL and Redis and an in-JVM "
        + "broker, prints its figures, writes bench/results/COMMAND.json, and exits 1 when the invariants do not hold.")
public final class BenchCommand implements Callable<Integer> {

    /** Each command and what it measures, in the order the help lists them. */
    private static final Map<String, String> COMMANDS = commands();
    /** Which environment variable gives each option its default, before the option's own. */
    private static final Map<String, String> VARIABLES = Map.of("--db-url", "BENCH_DB_URL", "--redis-url", "REDIS_URL");

    @Spec
    private CommandSpec spec;
    @Option(names = {"-h", "--help"}, usageHelp = true, scope = CommandLine.ScopeType.INHERIT, description = "show this help and exit")
    private boolean help;

    private static Map<String, String> commands() {
        Map<String, String> commands = new LinkedHashMap<>();
        commands.put("e2e", "The real pipeline in this JVM (broker, exactly-once topology, applier, PostgreSQL, Redis), fed into "
                + "usage.events from a workload prepared before the clock starts; after a warm-up: unique events/s, "
                + "publish-to-Redis-balance latency, CPU per event by process, Kafka records and PostgreSQL rows per event, "
                + "invariants (discrepancies: 0). With --rate: paced steps, each holding its rate.");
        commands.put("baseline", "The same workload, one PostgreSQL transaction per event (as the seed's system), at each pool size.");
        commands.put("ratio", "Baseline, e2e, baseline in one run: e2e's unique events/s over the mean of the two baselines.");
        commands.put("jmh", "JMH microbenchmarks of the per-event pure work (cost calculation, Avro encode and decode).");
        commands.put("api", "HTTP load on credit-api with wrk (a separate process): a static file of the server (the floor), "
                + "calculate-cost, balance warm and cold, authorize, holds over 200 accounts and on one, deduct on one and on "
                + "1,000 accounts; requests/s, p50/p90/p99, share of the floor, CPU per request of the server, PostgreSQL and "
                + "Redis, cache hit rate.");
        commands.put("ingest", "HTTP load on usage-ingest with wrk, per batch size: requests/s, events/s, p50/p99; every accepted "
                + "event checked in the ledger.");
        return commands;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }

    static CommandLine commandLine(Map<String, String> environment) {
        CommandLine commandLine = new CommandLine(new BenchCommand());
        COMMANDS.forEach((name, description) -> {
            CommandLine command = new CommandLine(new BenchRun(name, environment));
            command.getCommandSpec().usageMessage().description(description);
            commandLine.addSubcommand(name, command);
        });
        return commandLine.setDefaultValueProvider(new EnvironmentDefaults(VARIABLES, environment)).setUsageHelpWidth(120);
    }

    /** What {@code args} ask to run; a {@link ParameterException} says which option is wrong. */
    static BenchOptions options(String[] args, Map<String, String> environment) {
        CommandLine.ParseResult parsed = commandLine(environment).parseArgs(args);
        if (!parsed.hasSubcommand()) {
            throw new ParameterException(parsed.commandSpec().commandLine(), "a command is required: " + String.join(", ", COMMANDS.keySet()));
        }
        return ((BenchRun) parsed.subcommand().commandSpec().userObject()).options();
    }

    /** No command: say which there are. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    static BenchResult run(BenchOptions options) throws Exception {
        if (options.command().equals("jmh")) {
            BenchResult result = MicroBenchmarks.run(options.iterations());
            Path file = result.write(options.results());
            System.out.println(result.summaryLine());
            System.out.println("[bench] figures in " + file);
            return result.put("discrepancies", 0L);
        }
        PriceBook book = PriceBookReader.defaultPriceBook();
        BenchResult result = switch (options.command()) {
            case "e2e" -> new EndToEndBenchmark(options, book).run();
            case "ratio" -> ratio(options, book);
            case "api" -> new ApiLoadBenchmark(options).run();
            case "ingest" -> new IngestLoadBenchmark(options).run();
            default -> new BaselineBenchmark(options, book).run();
        };
        if (options.command().equals("e2e")) {
            compareWithBaseline(options.results(), result);
        }
        Path file = result.write(options.results());
        System.out.println(result.summaryLine());
        System.out.println("[bench] figures in " + file);
        System.out.println("discrepancies: " + result.get("discrepancies"));
        return result;
    }

    /**
     * Baseline, e2e, baseline: this machine's speed drifts up to twofold within an hour, so e2e is compared with
     * the mean of the baselines run just before and just after it.
     */
    private static BenchResult ratio(BenchOptions options, PriceBook book) throws Exception {
        BenchResult before = new BaselineBenchmark(options.forBaseline(), book).run();
        BenchResult e2e = new EndToEndBenchmark(options.forEndToEnd(), book).run();
        e2e.write(options.results());
        BenchResult after = new BaselineBenchmark(options.forBaseline(), book).run();
        double baseline = (((Number) before.get("events_per_second")).doubleValue() + ((Number) after.get("events_per_second")).doubleValue()) / 2;
        long e2eRate = ((Number) e2e.get("unique_events_per_second")).longValue();
        return new BenchResult("ratio").put("users", options.users()).put("events", options.events())
                .put("baseline_before_events_per_second", before.get("events_per_second"))
                .put("e2e_unique_events_per_second", e2eRate)
                .put("baseline_after_events_per_second", after.get("events_per_second"))
                .put("ratio_to_mean_baseline", BenchMath.round(e2eRate / baseline))
                .put("e2e", e2e.figures())
                .put("discrepancies", ((Number) before.get("discrepancies")).longValue() + ((Number) e2e.get("discrepancies")).longValue()
                        + ((Number) after.get("discrepancies")).longValue());
    }

    private static void compareWithBaseline(Path results, BenchResult e2e) throws Exception {
        Path baseline = results.resolve("baseline.json");
        if (!Files.exists(baseline) || !(e2e.get("unique_events_per_second") instanceof Number)) {
            return;
        }
        JsonNode figures = JsonMapper.builder().build().readTree(Files.readString(baseline));
        long baselineRate = figures.path("events_per_second").asLong();
        if (baselineRate > 0) {
            e2e.put("baseline_events_per_second", baselineRate)
                    .put("ratio_to_baseline", BenchMath.round(((Number) e2e.get("unique_events_per_second")).doubleValue() / baselineRate));
        }
    }
}
