package io.llmmetering.meteringstreams.topology;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;

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

    /** Marks the sparse form; the dense form starts with the ring's length, which is positive. */
    private static final int SPARSE = -1;
    private static final int HEADER = 4 + 8 + 8 + 8;

    /**
     * Two forms, both always readable. Dense: the ring's length, the three markers, every minute. Sparse: -1,
     * the length, the markers, then only the minutes with spend as (slot, nanos). A store record is written
     * (and changelogged) per event, and most users spend in a few minutes of the hour: the sparse form is
     * about 50 bytes where the dense one is 508 at a one-hour baseline. The smaller form is written.
     */
    static Serde<SpendHistory> serde() {
        Serializer<SpendHistory> serializer = (topic, history) -> {
            if (history == null) {
                return null;
            }
            long[] ring = history.nanosPerMinute;
            int spent = 0;
            for (long nanos : ring) {
                if (nanos != 0) {
                    spent++;
                }
            }
            int denseSize = HEADER + 8 * ring.length;
            int sparseSize = 4 + HEADER + 4 + (2 + 8) * spent;
            if (denseSize <= sparseSize || ring.length > Short.MAX_VALUE) {
                ByteBuffer buffer = ByteBuffer.allocate(denseSize);
                buffer.putInt(ring.length).putLong(history.firstMinute).putLong(history.newestMinute).putLong(history.alertsSuppressedUntilMillis);
                for (long nanos : ring) {
                    buffer.putLong(nanos);
                }
                return buffer.array();
            }
            ByteBuffer buffer = ByteBuffer.allocate(sparseSize);
            buffer.putInt(SPARSE).putInt(ring.length).putLong(history.firstMinute).putLong(history.newestMinute)
                    .putLong(history.alertsSuppressedUntilMillis).putInt(spent);
            for (int slot = 0; slot < ring.length; slot++) {
                if (ring[slot] != 0) {
                    buffer.putShort((short) slot).putLong(ring[slot]);
                }
            }
            return buffer.array();
        };
        Deserializer<SpendHistory> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            int first = buffer.getInt();
            boolean sparse = first == SPARSE;
            long[] minutes = new long[sparse ? buffer.getInt() : first];
            long firstMinute = buffer.getLong();
            long newest = buffer.getLong();
            long suppressedUntil = buffer.getLong();
            if (sparse) {
                for (int spent = buffer.getInt(); spent > 0; spent--) {
                    minutes[buffer.getShort()] = buffer.getLong();
                }
            } else {
                for (int i = 0; i < minutes.length; i++) {
                    minutes[i] = buffer.getLong();
                }
            }
            return new SpendHistory(minutes, firstMinute, newest, suppressedUntil);
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
