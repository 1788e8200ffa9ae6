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
    void baselineThenEndToEndThroughKafkaAndThroughIngestRunWithZeroDiscrepanciesAndWriteTheirFigures(@TempDir Path results) throws Exception {
        BenchResult baseline = BenchCommand.run(BenchOptions.parse(new String[]{"baseline", "--events", "3000", "--users", "500",
                "--connections", "1,4", "--results", results.toString()}, Map.of()));
        assertThat(baseline.get("discrepancies")).isEqualTo(0L);

        BenchResult e2e = BenchCommand.run(BenchOptions.parse(new String[]{"e2e", "--events", "20000", "--users", "2000",
                "--results", results.toString()}, Map.of()));
        assertThat(e2e.get("discrepancies")).isEqualTo(0L);

        JsonNode written = JsonMapper.builder().build().readTree(Files.readString(results.resolve("e2e.json")));
        assertThat(written.get("applied").asLong()).isEqualTo(written.get("unique_valid_events").asLong()).isPositive();
        assertThat(written.has("latency_ms_p99")).isTrue();
        assertThat(written.has("ratio_to_baseline")).isTrue();
        assertThat(written.get("lag_over_time").isArray()).isTrue();
        assertThat(JsonMapper.builder().build().readTree(Files.readString(results.resolve("baseline.json")))
                .get("events_per_second_by_connections").has("4")).isTrue();

        BenchResult viaIngest = BenchCommand.run(BenchOptions.parse(new String[]{"e2e", "--events", "5000", "--users", "500", "--via", "http",
                "--results", results.resolve("http").toString()}, Map.of()));
        assertThat(viaIngest.get("discrepancies")).isEqualTo(0L);
        assertThat(viaIngest.get("via")).isEqualTo("http");
        assertThat(viaIngest.get("applied")).isEqualTo(viaIngest.get("unique_valid_events"));
    }

    @Test
    void apiAndIngestLoadRunsAnswerEveryRequestAndLandEveryAcceptedEventInTheLedger(@TempDir Path results) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/wrk")), "wrk is not installed (.ci/run installs it)");
        BenchResult api = BenchCommand.run(BenchOptions.parse(new String[]{"api", "--seconds", "2", "--results", results.toString()}, Map.of()));
        assertThat(api.get("discrepancies")).isEqualTo(0L);
        JsonNode apiFigures = JsonMapper.builder().build().readTree(Files.readString(results.resolve("api.json")));
        for (String endpoint : new String[]{"calculate_cost", "balance_warm", "balance_cold", "authorize", "holds", "deduct_one_account"}) {
            assertThat(apiFigures.get("endpoints").get(endpoint).get("requests").asLong()).as(endpoint).isPositive();
        }
        assertThat(apiFigures.get("cache_hit_rate_warm_balance").asDouble()).isGreaterThan(0.9);
        assertThat(apiFigures.get("cache_hit_rate_cold_balance").asDouble()).isLessThan(0.1);

        BenchResult ingest = BenchCommand.run(BenchOptions.parse(new String[]{"ingest", "--seconds", "2", "--batch", "1,100",
                "--results", results.toString()}, Map.of()));
        assertThat(ingest.get("discrepancies")).isEqualTo(0L);
        JsonNode ingestFigures = JsonMapper.builder().build().readTree(Files.readString(results.resolve("ingest.json")));
        assertThat(ingestFigures.get("by_batch_size").get("100").get("events_per_second").asLong()).isPositive();
        assertThat(ingestFigures.get("events_accepted").asLong()).isPositive();
    }

    @Test
    void jmhMeasuresEveryHotPathBenchmark(@TempDir Path results) throws Exception {
        BenchCommand.run(BenchOptions.parse(new String[]{"jmh", "--results", results.toString()}, Map.of()));
        JsonNode nanos = JsonMapper.builder().build().readTree(Files.readString(results.resolve("jmh.json"))).get("nanoseconds_per_operation");
        for (String benchmark : new String[]{"costOfUsage", "costOfTokensBlended", "encodeUsageEvent", "decodeUsageEvent"}) {
            assertThat(nanos.get(benchmark).asDouble()).as(benchmark).isPositive();
        }
    }

    @Test
    void optionsAreCheckedWithTheNameOfTheWrongOne() {
        for (String[] bad : new String[][]{{}, {"nope"}, {"e2e", "--events", "0"}, {"e2e", "--events", "many"}, {"baseline", "--connections", "0"},
                {"e2e", "--dup-rate", "1.5"}, {"e2e", "--bogus", "1"}, {"e2e", "--users"}, {"ingest", "--batch", "0"},
                {"ingest", "--batch", "20000"}, {"api", "--seconds", "-1"}, {"e2e", "--via", "carrier-pigeon"}}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchOptions.parse(bad, Map.of()))
                    .as(String.join(" ", bad)).isInstanceOf(IllegalArgumentException.class);
        }
        BenchOptions defaults = BenchOptions.parse(new String[]{"e2e"}, Map.of());
        assertThat(defaults.connections()).containsExactly(1, 4, 16);
        assertThat(defaults.results()).isEqualTo(Path.of("bench", "results"));
    }
}
