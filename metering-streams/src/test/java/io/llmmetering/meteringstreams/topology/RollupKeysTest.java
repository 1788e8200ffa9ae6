package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.UsageRollup;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The rollup store's keys and the topic's keys must stay byte-for-byte what earlier versions wrote. */
class RollupKeysTest {

    @Test
    void windowStartsArePaddedExactlyAsStringFormatPaddedThem() {
        List<Long> edges = List.of(0L, 1L, 9L, 10L, 3_600_000L, 1_763_000_000_000L, 99_999_999_999_999L, 100_000_000_000_000L,
                999_999_999_999_999L, 1_000_000_000_000_000L, Long.MAX_VALUE, -1L, -3_600_000L, Long.MIN_VALUE);
        for (long value : edges) {
            assertThat(RollupUsageProcessor.zeroPadded(value)).as("%d", value).isEqualTo(String.format("%015d", value));
        }
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            long value = random.nextLong() >>> random.nextInt(64);
            assertThat(RollupUsageProcessor.zeroPadded(value)).isEqualTo(String.format("%015d", value));
        }
    }

    @Test
    void windowKeysOfAGranularitySortByWindowStart() {
        String earlier = RollupUsageProcessor.prefix(RollupUsageProcessor.Granularity.HOUR, 3_600_000L);
        String later = RollupUsageProcessor.prefix(RollupUsageProcessor.Granularity.HOUR, 1_763_000_000_000L);
        assertThat(earlier).isLessThan(later).startsWith("hour\u001F000000003600000\u001F");
    }

    @Test
    void outputKeysEncodeEachPartAsUrlEncoderDoes() {
        for (String model : List.of("gpt-4o", "claude-sonnet-4-5", "meta/llama-3.1:70b", "a b", "x~y", "mod\u00e8le", "a*b_c.d", "%41", "")) {
            UsageRollup rollup = UsageRollup.newBuilder().setUserId("user@example.com").setModel(model).setProvider("open_router")
                    .setGranularity("hour").setWindowStart(Instant.ofEpochSecond(1_763_000_000L)).setWindowEnd(Instant.ofEpochSecond(1_763_003_600L))
                    .setRequests(1).setInputTokens(0).setOutputTokens(0).setCachedInputTokens(0).setCostNanos(0)
                    .setUpdatedAt(Instant.EPOCH).build();
            assertThat(RollupUsageProcessor.outputKey(rollup)).isEqualTo(String.join("/", URLEncoder.encode("user@example.com", StandardCharsets.UTF_8),
                    URLEncoder.encode(model, StandardCharsets.UTF_8), "open_router", "hour", "2025-11-13T02:13:20Z"));
        }
    }
}
