package io.llmmetering.creditapi.applier;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What one batch charges: the debits the ledger really recorded, summed per user (in user-id order, the order
 * accounts are locked in), per provider and model, per user and minute of event time (what the spike detector
 * follows) and the hours they fall in (what the rollups follow). Exact: sums in long nano-credits that fail
 * loudly rather than wrap. Built once per batch, in one pass over its debits.
 */
public final class BatchCharges {

    private static final long MINUTE_MILLIS = 60_000L;
    private static final long HOUR_MILLIS = 3_600_000L;

    /** One user's share of the batch: the total, the number of events, and the spend per minute of event time. */
    public static final class UserCharge {
        private long nanos;
        private int events;
        private long[] minutes = new long[2];
        private long[] minuteNanos = new long[2];
        private int minuteCount;
        private long newestOccurredMillis = Long.MIN_VALUE;

        public long nanos() {
            return nanos;
        }

        public int events() {
            return events;
        }

        /** How many distinct minutes of event time the user spent in, in this batch. */
        int minuteCount() {
            return minuteCount;
        }

        /** The {@code index}-th of those minutes (minutes since the epoch) and what was spent in it. */
        long minute(int index) {
            return minutes[index];
        }

        long minuteNanos(int index) {
            return minuteNanos[index];
        }

        long newestOccurredMillis() {
            return newestOccurredMillis;
        }

        private void add(long occurredAtMillis, long amountNanos) {
            nanos = Math.addExact(nanos, amountNanos);
            events++;
            newestOccurredMillis = Math.max(newestOccurredMillis, occurredAtMillis);
            long minute = Math.floorDiv(occurredAtMillis, MINUTE_MILLIS);
            // a user's events of one batch nearly always share a minute: look from the newest
            for (int i = minuteCount - 1; i >= 0; i--) {
                if (minutes[i] == minute) {
                    minuteNanos[i] = Math.addExact(minuteNanos[i], amountNanos);
                    return;
                }
            }
            if (minuteCount == minutes.length) {
                minutes = Arrays.copyOf(minutes, minuteCount * 2);
                minuteNanos = Arrays.copyOf(minuteNanos, minuteCount * 2);
            }
            minutes[minuteCount] = minute;
            minuteNanos[minuteCount] = amountNanos;
            minuteCount++;
        }
    }

    private final TreeMap<String, UserCharge> byUser = new TreeMap<>();
    private final Map<AppliedBatch.ModelKey, Long> byModel = new HashMap<>();
    private final List<LedgerDebit> charged = new ArrayList<>();
    private long[] hours = new long[2];
    private int hourCount;

    public void add(LedgerDebit debit) {
        byUser.computeIfAbsent(debit.userId(), user -> new UserCharge()).add(debit.occurredAtMillis(), debit.amountNanos());
        byModel.merge(new AppliedBatch.ModelKey(debit.provider(), debit.model()), debit.amountNanos(), Math::addExact);
        charged.add(debit);
        addHour(Math.floorDiv(debit.occurredAtMillis(), HOUR_MILLIS) * HOUR_MILLIS);
    }

    private void addHour(long hour) {
        for (int i = hourCount - 1; i >= 0; i--) {
            if (hours[i] == hour) {
                return;
            }
        }
        if (hourCount == hours.length) {
            hours = Arrays.copyOf(hours, hourCount * 2);
        }
        hours[hourCount++] = hour;
    }

    public boolean isEmpty() {
        return byUser.isEmpty();
    }

    public int events() {
        return charged.size();
    }

    /** The charged debits, in the order they were added. */
    public List<LedgerDebit> charged() {
        return charged;
    }

    /** Each charged user's share, in user-id order. */
    public NavigableMap<String, UserCharge> byUser() {
        return Collections.unmodifiableNavigableMap(byUser);
    }

    /** The charged users in user-id order. */
    public String[] users() {
        return byUser.keySet().toArray(new String[0]);
    }

    /** Each user's charge, in the order of {@link #users()}. */
    public Long[] amounts() {
        Long[] amounts = new Long[byUser.size()];
        int i = 0;
        for (UserCharge charge : byUser.values()) {
            amounts[i++] = charge.nanos();
        }
        return amounts;
    }

    /** Each user's number of events, in the order of {@link #users()}. */
    public Integer[] eventCounts() {
        Integer[] counts = new Integer[byUser.size()];
        int i = 0;
        for (UserCharge charge : byUser.values()) {
            counts[i++] = charge.events();
        }
        return counts;
    }

    public long chargedNanos(String userId) {
        return byUser.get(userId).nanos();
    }

    public int eventCount(String userId) {
        return byUser.get(userId).events();
    }

    public Map<AppliedBatch.ModelKey, Long> spendByModel() {
        return byModel;
    }

    /** The hours (epoch milliseconds, UTC) the charged events fall in. */
    public Long[] hours() {
        Long[] distinct = new Long[hourCount];
        for (int i = 0; i < hourCount; i++) {
            distinct[i] = hours[i];
        }
        return distinct;
    }

    /** The user of each charged debit, in the order they were added (with {@link #recordedEvents()}: the holds they settle). */
    public String[] recordedUsers() {
        String[] users = new String[charged.size()];
        for (int i = 0; i < users.length; i++) {
            users[i] = charged.get(i).userId();
        }
        return users;
    }

    public String[] recordedEvents() {
        String[] events = new String[charged.size()];
        for (int i = 0; i < events.length; i++) {
            events[i] = charged.get(i).eventId();
        }
        return events;
    }
}
