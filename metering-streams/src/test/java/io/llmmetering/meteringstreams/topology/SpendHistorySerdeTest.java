package io.llmmetering.meteringstreams.topology;

import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SpendHistorySerdeTest {

    private final Serde<SpendHistory> serde = SpendHistory.serde();

    private SpendHistory roundTrip(SpendHistory history) {
        return serde.deserializer().deserialize("t", serde.serializer().serialize("t", history));
    }

    private static void assertSame(SpendHistory actual, SpendHistory expected) {
        assertThat(actual.minutes()).isEqualTo(expected.minutes());
        assertThat(actual.newestMinute()).isEqualTo(expected.newestMinute());
        for (int count = 1; count <= expected.minutes(); count++) {
            assertThat(actual.recent(count)).as("recent(%d)", count).isEqualTo(expected.recent(count));
            assertThat(actual.before(count)).as("before(%d)", count).isEqualTo(expected.before(count));
            assertThat(actual.minutesBefore(count)).as("minutesBefore(%d)", count).isEqualTo(expected.minutesBefore(count));
        }
    }

    @Test
    void aUserWhoSpentInAFewMinutesIsStoredInAFractionOfTheRing() {
        SpendHistory history = new SpendHistory(60);
        history.add(29_383_000, 1_500_000);
        history.add(29_383_000, 2_000_000);
        history.add(29_383_007, 3);
        history.suppressAlertsUntil(1_763_000_000_000L);

        byte[] bytes = serde.serializer().serialize("t", history);

        assertThat(bytes.length).isLessThan(60).isLessThan(4 + 24 + 8 * 60);
        SpendHistory read = roundTrip(history);
        assertSame(read, history);
        assertThat(read.alertsSuppressedAt(1_762_999_999_999L)).isTrue();
        assertThat(read.alertsSuppressedAt(1_763_000_000_000L)).isFalse();
    }

    @Test
    void aUserWhoSpentEveryMinuteKeepsTheDenseForm() {
        SpendHistory history = new SpendHistory(60);
        for (int minute = 0; minute < 60; minute++) {
            history.add(1_000 + minute, minute + 1);
        }
        assertThat(serde.serializer().serialize("t", history)).hasSize(4 + 24 + 8 * 60);
        assertSame(roundTrip(history), history);
    }

    @Test
    void recordsWrittenInTheDenseFormByEarlierVersionsStillRead() {
        ByteBuffer old = ByteBuffer.allocate(4 + 24 + 8 * 3);
        old.putInt(3).putLong(100).putLong(102).putLong(Long.MIN_VALUE).putLong(7).putLong(0).putLong(9);
        SpendHistory read = serde.deserializer().deserialize("t", old.array());
        assertThat(read.minutes()).isEqualTo(3);
        assertThat(read.newestMinute()).isEqualTo(102);
        // slot of minute 102 is 102 % 3 = 0 (7), minute 101 is slot 2 (9), minute 100 is slot 1 (0)
        assertThat(read.recent(1)).isEqualTo(7);
        assertThat(read.recent(2)).isEqualTo(16);
        assertThat(read.before(1)).isEqualTo(9);
    }

    @Test
    void randomHistoriesSurviveTheRoundTrip() {
        Random random = new Random(11);
        for (int run = 0; run < 500; run++) {
            SpendHistory history = new SpendHistory(1 + random.nextInt(120));
            long minute = 29_000_000 + random.nextInt(1_000);
            for (int event = random.nextInt(200); event > 0; event--) {
                minute += random.nextInt(4) == 0 ? random.nextInt(30) : 0;
                history.add(minute - random.nextInt(5), 1 + random.nextInt(1_000_000_000));
            }
            assertSame(roundTrip(history), history);
        }
    }

    @Test
    void nullIsATombstone() {
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }
}
