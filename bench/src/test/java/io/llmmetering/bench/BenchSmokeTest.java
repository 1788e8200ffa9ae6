package io.llmmetering.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A small run of each benchmark command, as CI's smoke: the harness works end to end and the invariants hold.
 * Figures are printed, never asserted: speed is for the benchmark runs, not for tests.
 */
@Tag("integration")
class BenchSmokeTest {

    @Test
    void ratioRunsBaselineEndToEndAndBaselineWithZeroDiscrepanciesAndWritesTheFiguresPerEvent(@TempDir Path results) throws Exception {
        BenchResult ratio = BenchCommand.run(BenchCommand.options(new String[]{"ratio", "--events", "20000", "--users", "2000",
                "--baseline-events", "3000", "--warmup-passes", "2", "--results", results.toString()}, Map.of()));
        assertThat(ratio.get("discrepancies")).isEqualTo(0L);
        assertThat(((Number) ratio.get("ratio_to_mean_baseline")).doubleValue()).isPositive();

        JsonNode e2e = JsonMapper.builder().build().readTree(Files.readString(results.resolve("e2e.json")));
        assertThat(e2e.get("applied").asLong()).isEqualTo(e2e.get("unique_valid_events").asLong()).isPositive();
        // passes of a fifth of --events until the JIT has settled, here at most two
        assertThat(e2e.get("warmup_events").asLong()).isIn(4000L, 8000L);
        assertThat(e2e.get("warmup_passes").size()).isEqualTo(e2e.get("warmup_events").asInt() / 4000);
        assertThat(e2e.get("latency_publish_to_redis_ms").get("probes").asLong()).isPositive();
        assertThat(e2e.get("cpu_us_per_unique_event").get("topology").asDouble()).isPositive();
        assertThat(e2e.get("cpu_us_per_unique_event").get("postgresql").asDouble()).isPositive();
        assertThat(e2e.get("kafka_records_per_unique_event").get("credit.debits").asDouble()).isGreaterThanOrEqualTo(1.0);
        assertThat(e2e.get("postgres_rows_per_unique_event").get("usage_events").asDouble()).isEqualTo(1.0);
        assertThat(e2e.get("lag_over_time").isArray()).isTrue();
    }

    @Test
    void aPacedStepThroughIngestHoldsItsRateAndChargesEveryEventOnce(@TempDir Path results) throws Exception {
        BenchResult paced = BenchCommand.run(BenchCommand.options(new String[]{"e2e", "--users", "500", "--via", "http", "--rate", "1000", "--warmup", "2000", "--warmup-passes", "1",
                "--warmup-seconds", "3", "--seconds", "5", "--results", results.toString()}, Map.of()));
        assertThat(paced.get("discrepancies")).isEqualTo(0L);
        assertThat(paced.get("via")).isEqualTo("http");
        JsonNode step = JsonMapper.builder().build().readTree(Files.readString(results.resolve("e2e.json"))).get("steps").get(0);
        assertThat(step.get("rate").asLong()).isEqualTo(1000);
        assertThat(step.get("unique_valid_events").asLong()).isPositive();
        assertThat(step.has("lag_bounded")).isTrue();
        assertThat(step.get("lag_over_time").size()).isGreaterThanOrEqualTo(4);
        // the idle system's CPU, measured before the steps, is taken off each step's CPU per event
        assertThat(step.get("cpu_us_per_unique_event_above_idle").get("all_processes").asDouble())
                .isPositive().isLessThan(step.get("cpu_us_per_unique_event").get("all_processes").asDouble());
    }

    @Test
    void apiAndIngestLoadRunsAnswerEveryRequestAndLandEveryAcceptedEventInTheLedger(@TempDir Path results) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/wrk")), "wrk is not installed (.ci/run installs it)");
        BenchResult api = BenchCommand.run(BenchCommand.options(new String[]{"api", "--seconds", "1", "--rate", "200", "--users", "500",
                "--results", results.toString()}, Map.of()));
        assertThat(api.get("discrepancies")).isEqualTo(0L);
        JsonNode apiFigures = JsonMapper.builder().build().readTree(Files.readString(results.resolve("api.json")));
        for (String endpoint : new String[]{"static_floor", "calculate_cost", "balance_warm", "balance_cold", "authorize", "holds",
                "deduct_one_account", "deduct_distinct_accounts"}) {
            assertThat(apiFigures.get("endpoints").get(endpoint).get("requests").asLong()).as(endpoint).isPositive();
            assertThat(apiFigures.get("endpoints").get(endpoint).get("share_of_floor").asDouble()).as(endpoint).isPositive();
        }
        assertThat(apiFigures.get("pipeline_load").get("all_applied").asBoolean()).isTrue();
        assertThat(apiFigures.get("pipeline_load").get("unique_events_published").asLong()).isPositive();
        assertThat(apiFigures.get("cache_hit_rate_warm_balance").asDouble()).isGreaterThan(0.9);
        assertThat(apiFigures.get("cache_hit_rate_cold_balance").asDouble()).isLessThan(0.1);

        // batches of 10, not 100: the ledger must hold every accepted event before the run ends, and fewer drain sooner
        BenchResult ingest = BenchCommand.run(BenchCommand.options(new String[]{"ingest", "--seconds", "1", "--batch", "1,10",
                "--results", results.toString()}, Map.of()));
        assertThat(ingest.get("discrepancies")).isEqualTo(0L);
        JsonNode ingestFigures = JsonMapper.builder().build().readTree(Files.readString(results.resolve("ingest.json")));
        assertThat(ingestFigures.get("by_batch_size").get("10").get("events_per_second").asLong()).isPositive();
        assertThat(ingestFigures.get("events_accepted").asLong()).isPositive();
    }

    @Test
    void jmhMeasuresEveryHotPathBenchmark(@TempDir Path results) throws Exception {
        BenchCommand.run(BenchCommand.options(new String[]{"jmh", "--iterations", "1", "--results", results.toString()}, Map.of()));
        JsonNode nanos = JsonMapper.builder().build().readTree(Files.readString(results.resolve("jmh.json"))).get("nanoseconds_per_operation");
        for (String benchmark : new String[]{"costOfUsage", "costOfTokensBlended", "encodeUsageEvent", "decodeUsageEvent"}) {
            assertThat(nanos.get(benchmark).asDouble()).as(benchmark).isPositive();
        }
    }

    @Test
    void optionsAreCheckedWithTheNameOfTheWrongOne() {
        for (String[] bad : new String[][]{{}, {"nope"}, {"e2e", "--events", "0"}, {"e2e", "--events", "many"}, {"baseline", "--connections", "0"},
                {"e2e", "--dup-rate", "1.5"}, {"e2e", "--bogus", "1"}, {"e2e", "--users"}, {"ingest", "--batch", "0"},
                {"ingest", "--batch", "20000"}, {"api", "--seconds", "-1"}, {"e2e", "--via", "carrier-pigeon"}, {"e2e", "--rate", "0"},
                {"ratio", "--rate", "1000"}, {"e2e", "--warmup", "-5"}, {"e2e", "--users-skew", "0"}, {"e2e", "--users-skew", "9"},
                {"jmh", "--iterations", "0"}, {"e2e", "--http-batch", "0"}, {"e2e", "--http-batch", "10001"}, {"e2e", "--http-senders", "0"},
                {"e2e", "--warmup-passes", "0"}}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchCommand.options(bad, Map.of()))
                    .as(String.join(" ", bad)).isInstanceOf(picocli.CommandLine.ParameterException.class);
        }
        BenchOptions defaults = BenchCommand.options(new String[]{"e2e"}, Map.of());
        assertThat(defaults.connections()).containsExactly(1, 4, 16);
        assertThat(defaults.results()).isEqualTo(Path.of("bench", "results"));
        assertThat(defaults.userMix().describe()).isEqualTo("users * u^2.5");
        assertThat(BenchCommand.options(new String[]{"e2e", "--users-skew", "1.1"}, Map.of()).userMix().describe()).isEqualTo("zipf 1.1");
    }
}
