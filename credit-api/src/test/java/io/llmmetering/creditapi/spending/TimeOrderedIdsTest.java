package io.llmmetering.creditapi.spending;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class TimeOrderedIdsTest {

    @Test
    void idsAreVersionSevenCarryTheirMillisecondAndSortInTimeOrderAsPostgresqlComparesThem() throws InterruptedException {
        long before = System.currentTimeMillis();
        UUID first = TimeOrderedIds.next();
        Thread.sleep(2);
        UUID later = TimeOrderedIds.next();

        assertThat(first.version()).isEqualTo(7);
        assertThat(first.variant()).isEqualTo(2);
        assertThat(first.getMostSignificantBits() >>> 16).isBetween(before, System.currentTimeMillis());
        // PostgreSQL orders uuids by their bytes, unsigned
        assertThat(Long.compareUnsigned(later.getMostSignificantBits(), first.getMostSignificantBits())).isPositive();
    }

    @Test
    void idsOfOneMillisecondAreStillUnique() {
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(TimeOrderedIds.next());
        }
        assertThat(ids).hasSize(100_000);
    }
}
