package io.llmmetering.meteringstreams.topology;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One user's spend per minute of event time over the baseline period: a ring of nano-credit sums, the
 * newest minute, and until when alerts are suppressed. Small (8 bytes a minute) and updated in place.
 */
final class SpendHistory {

    private final long[] nanosPerMinute;
    private long firstMinute;
    private long newestMinute;
    private long alertsSuppressedUntilMillis;

    SpendHistory(int minutes) {
        this(new long[minutes], Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE);
    }

    private SpendHistory(long[] nanosPerMinute, long firstMinute, long newestMinute, long alertsSuppressedUntilMillis) {
        this.nanosPerMinute = nanosPerMinute;
        this.firstMinute = firstMinute;
        this.newestMinute = newestMinute;
        this.alertsSuppressedUntilMillis = alertsSuppressedUntilMillis;
    }

    int minutes() {
        return nanosPerMinute.length;
    }

    long newestMinute() {
        return newestMinute;
    }

    /** Adds spend at an event-time minute; returns false (and adds nothing) when that minute has left the ring. */
    boolean add(long minute, long nanos) {
        if (newestMinute == Long.MIN_VALUE) {
            newestMinute = minute;
            firstMinute = minute;
        }
        firstMinute = Math.min(firstMinute, Math.max(minute, newestMinute - nanosPerMinute.length + 1));
        if (minute > newestMinute) {
            long steps = Math.min(minute - newestMinute, nanosPerMinute.length);
            for (long step = 1; step <= steps; step++) {
                nanosPerMinute[slot(newestMinute + step)] = 0;
            }
            newestMinute = minute;
        }
        if (minute <= newestMinute - nanosPerMinute.length) {
            return false;
        }
        int slot = slot(minute);
        nanosPerMinute[slot] = Math.addExact(nanosPerMinute[slot], nanos);
        return true;
    }

    /** Spend in the {@code count} minutes ending at the newest minute. */
    long recent(int count) {
        long sum = 0;
        for (int back = 0; back < count; back++) {
            sum = Math.addExact(sum, nanosPerMinute[slot(newestMinute - back)]);
        }
        return sum;
    }

    /** Spend in the whole ring before the most recent {@code count} minutes. */
    long before(int count) {
        long sum = 0;
        for (int back = count; back < nanosPerMinute.length; back++) {
            sum = Math.addExact(sum, nanosPerMinute[slot(newestMinute - back)]);
        }
        return sum;
    }

    /**
     * How many minutes of history lie before the most recent {@code count}: the whole rest of the ring for a
     * long-standing user, fewer for a new one, whose baseline is averaged over what there is.
     */
    long minutesBefore(int count) {
        return Math.max(0, Math.min(nanosPerMinute.length - count, newestMinute - count - firstMinute + 1));
    }

    boolean alertsSuppressedAt(long millis) {
        return millis < alertsSuppressedUntilMillis;
    }

    void suppressAlertsUntil(long millis) {
        alertsSuppressedUntilMillis = millis;
    }

    private int slot(long minute) {
        return (int) Math.floorMod(minute, (long) nanosPerMinute.length);
    }

    static Serde<SpendHistory> serde() {
        Serializer<SpendHistory> serializer = (topic, history) -> {
            if (history == null) {
                return null;
            }
            ByteBuffer buffer = ByteBuffer.allocate(4 + 8 + 8 + 8 + 8 * history.nanosPerMinute.length);
            buffer.putInt(history.nanosPerMinute.length).putLong(history.firstMinute).putLong(history.newestMinute).putLong(history.alertsSuppressedUntilMillis);
            Arrays.stream(history.nanosPerMinute).forEach(buffer::putLong);
            return buffer.array();
        };
        Deserializer<SpendHistory> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            long[] minutes = new long[buffer.getInt()];
            long first = buffer.getLong();
            long newest = buffer.getLong();
            long suppressedUntil = buffer.getLong();
            for (int i = 0; i < minutes.length; i++) {
                minutes[i] = buffer.getLong();
            }
            return new SpendHistory(minutes, first, newest, suppressedUntil);
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
