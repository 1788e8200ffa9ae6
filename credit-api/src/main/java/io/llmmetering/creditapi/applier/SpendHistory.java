package io.llmmetering.creditapi.applier;

/**
 * One user's spend per minute of event time over the baseline period: a ring of nano-credit sums, the
 * newest minute, and until when alerts are suppressed. Small (8 bytes a minute) and updated in place; held in
 * the applier's memory only.
 */
final class SpendHistory {

    private final long[] nanosPerMinute;
    private long firstMinute;
    private long newestMinute;
    private long alertsSuppressedUntilMillis;

    SpendHistory(int minutes) {
        this.nanosPerMinute = new long[minutes];
        this.firstMinute = Long.MIN_VALUE;
        this.newestMinute = Long.MIN_VALUE;
        this.alertsSuppressedUntilMillis = Long.MIN_VALUE;
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
}
