package io.llmmetering.bench;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.creditapi.applier.BatchCharges;
import io.llmmetering.creditapi.applier.LedgerDebit;
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
import java.util.Random;
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

    /** A batch of 5,000 recorded debits over 100,000 users, as the applier reads them back from PostgreSQL. */
    private static final int BATCH = 5_000;
    private final LedgerDebit[] batch = new LedgerDebit[BATCH];

    {
        Random random = new Random(5);
        String[] models = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-pro", "llama-3.1-70b"};
        for (int i = 0; i < BATCH; i++) {
            batch[i] = new LedgerDebit("req-" + i, "user-" + random.nextInt(100_000) + "@example.com", 1 + random.nextInt(50_000_000),
                    models[random.nextInt(models.length)], "openai", 1_000, 200, 0, "balanced", "free", 1_000L, 2_000L, "v1", "bench");
        }
    }

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

    /** The applier's batch aggregation: per-user sums in user-id order, spend per model, the statements' arrays. */
    @Benchmark
    public Object[] aggregateBatchOf5000Debits() {
        BatchCharges charges = new BatchCharges();
        for (LedgerDebit debit : batch) {
            charges.add(debit);
        }
        return new Object[]{charges.users(), charges.amounts(), charges.eventCounts(), charges.recordedUsers(), charges.recordedEvents()};
    }
}
