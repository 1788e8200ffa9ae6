package io.llmmetering.bench;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.PriceBookReader;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code java -jar bench/target/metering-bench.jar e2e|baseline|jmh|api|ingest [options]}: runs one benchmark, prints its figures
 * and one summary line, writes them to {@code bench/results/<command>.json}, and exits 1 when the invariants do
 * not hold. e2e compares itself with the last baseline in the same results directory. A command-line tool: it
 * reports on stdout.
 */
public final class BenchCommand {

    private BenchCommand() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.print(BenchOptions.USAGE);
            return;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        BenchResult result = run(options);
        System.exit(((Number) result.get("discrepancies")).longValue() == 0 ? 0 : 1);
    }

    static BenchResult run(BenchOptions options) throws Exception {
        if (options.command().equals("jmh")) {
            BenchResult result = MicroBenchmarks.run();
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
