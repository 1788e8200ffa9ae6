package io.llmmetering.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** How the e2e benchmark turns samples into verdicts and groups: the pure parts, without a pipeline. */
class BenchFiguresTest {

    @Test
    void aLagThatHoversIsBoundedAndALagThatGrowsIsNot() {
        assertThat(EndToEndBenchmark.lagBounded(lag(second -> 3_000 + (second % 3) * 500), 10_000)).isTrue();
        assertThat(EndToEndBenchmark.lagBounded(lag(second -> 1_000L * second), 10_000)).isFalse();
        // flat but more than two seconds of events behind: the pipeline is not keeping up with this rate
        assertThat(EndToEndBenchmark.lagBounded(lag(second -> 25_000), 10_000)).isFalse();
        assertThat(EndToEndBenchmark.lagBounded(List.of(), 10_000)).isFalse();
    }

    @Test
    void percentilesTakeTheNearestRank() {
        long[] values = {5, 1, 4, 2, 3, 0, 0};
        assertThat(BenchMath.percentile(values, 5, 0.5)).isEqualTo(3);
        assertThat(BenchMath.percentile(values, 5, 0.99)).isEqualTo(5);
        assertThat(BenchMath.percentile(values, 5, 1.0)).isEqualTo(5);
        assertThat(BenchMath.percentile(values, 0, 0.5)).isZero();
    }

    @Test
    void threadsAreCountedWithTheServiceThatRunsThem() {
        assertThat(CpuAccounting.groupOf("metering-streams-0711bb0f-StreamThread-1")).isEqualTo("topology");
        assertThat(CpuAccounting.groupOf("kafka-producer-network-thread | metering-streams-0711bb0f-StreamThread-1-producer")).isEqualTo("topology");
        assertThat(CpuAccounting.groupOf("kafka-producer-network-thread | bench-generator")).isEqualTo("load_generator");
        assertThat(CpuAccounting.groupOf("debit-applier-0")).isEqualTo("applier");
        assertThat(CpuAccounting.groupOf("data-plane-kafka-request-handler-3")).isEqualTo("broker");
        assertThat(CpuAccounting.groupOf("kafka-producer-network-thread | producer-7")).isEqualTo("kafka_clients_other");
        assertThat(CpuAccounting.groupOf("something-new")).isEqualTo("java_other");
    }

    @Test
    void perEventFiguresDivideTheDifferencesAndLeaveOutWhatDidNotChange() {
        Map<String, Object> perEvent = PipelineCounters.perEvent(Map.of("usage.events", 100L, "credit.debits", 50L, "idle", 7L),
                Map.of("usage.events", 1_100L, "credit.debits", 1_050L, "idle", 7L), 1_000);
        assertThat(perEvent).containsEntry("usage.events", 1.0).containsEntry("credit.debits", 1.0).containsEntry("total", 2.0)
                .doesNotContainKey("idle");
    }

    private static List<Map<String, Object>> lag(java.util.function.LongUnaryOperator lagAtSecond) {
        List<Map<String, Object>> points = new ArrayList<>();
        for (long second = 1; second <= 30; second++) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("ms", second * 1000);
            point.put("lag", lagAtSecond.applyAsLong(second));
            points.add(point);
        }
        return points;
    }
}
