package io.llmmetering.bench;

import java.util.Arrays;

/** Rounding and percentiles for printed figures (never for money). */
final class BenchMath {

    private BenchMath() {
    }

    static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    /** The q-quantile (0..1) of the values, nearest rank; 0 when there are none. */
    static long percentile(long[] values, int count, double q) {
        if (count == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(values, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * count) - 1;
        return sorted[Math.max(0, Math.min(count - 1, rank))];
    }
}
