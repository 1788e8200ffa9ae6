package io.llmmetering.bench;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** The per-event pure work of the pipeline, in nanoseconds per operation. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmarks {

    private final CostCalculator calculator = new CostCalculator(PriceBookReader.defaultPriceBook());
    private final AvroSerde<UsageEvent> serde = AvroSerde.of(UsageEvent.class);
    private final UsageEvent event = UsageEvent.newBuilder().setEventId("req-0123456789").setOccurredAt(Instant.parse("2026-11-25T10:00:00Z"))
            .setUserId("user-42@example.com").setProvider("openai").setModel("gpt-4o").setInputTokens(1_800).setOutputTokens(350)
            .setPowerLevel("balanced").setSource("litellm-eu-1").build();
    private final byte[] encoded = serde.serialize(Topics.USAGE_EVENTS, event);

    @Benchmark
    public Credits costOfUsage() {
        return calculator.costOfUsage("gpt-4o", TokenUsage.of(1_800, 350), "balanced", "professional");
    }

    @Benchmark
    public Credits costOfTokensBlended() {
        return calculator.costOfTokens("claude-sonnet-4-5", 1_000, "precision", "enterprise");
    }

    @Benchmark
    public byte[] encodeUsageEvent() {
        return serde.serialize(Topics.USAGE_EVENTS, event);
    }

    @Benchmark
    public UsageEvent decodeUsageEvent() {
        return serde.deserialize(Topics.USAGE_EVENTS, encoded);
    }
}
