package io.llmmetering.creditapi.ledger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one batch charges, summed as PostgreSQL returns the usage events it really recorded: per user the
 * nano-credits and the number of events (in user-id order, the order accounts are locked in), per provider
 * and model the spend, and each recorded (user, event) pair, whose holds the batch settles. Exact: sums in
 * long nano-credits that fail loudly rather than wrap.
 */
public final class BatchCharges {

    private final TreeMap<String, long[]> byUser = new TreeMap<>();
    private final Map<AppliedBatch.ModelKey, Long> byModel = new HashMap<>();
    private final List<String> recordedUsers = new ArrayList<>();
    private final List<String> recordedEvents = new ArrayList<>();

    public void add(String userId, String eventId, String provider, String model, long nanos) {
        long[] charge = byUser.computeIfAbsent(userId, user -> new long[2]);
        charge[0] = Math.addExact(charge[0], nanos);
        charge[1]++;
        byModel.merge(new AppliedBatch.ModelKey(provider, model), nanos, Math::addExact);
        recordedUsers.add(userId);
        recordedEvents.add(eventId);
    }

    public boolean isEmpty() {
        return byUser.isEmpty();
    }

    public int events() {
        return recordedEvents.size();
    }

    /** The charged users in user-id order. */
    public String[] users() {
        return byUser.keySet().toArray(String[]::new);
    }

    /** Each user's charge, in the order of {@link #users()}. */
    public Long[] amounts() {
        return byUser.values().stream().map(charge -> charge[0]).toArray(Long[]::new);
    }

    /** Each user's number of events, in the order of {@link #users()}. */
    public Integer[] eventCounts() {
        return byUser.values().stream().map(charge -> (int) charge[1]).toArray(Integer[]::new);
    }

    public long chargedNanos(String userId) {
        return byUser.get(userId)[0];
    }

    public int eventCount(String userId) {
        return (int) byUser.get(userId)[1];
    }

    public Map<AppliedBatch.ModelKey, Long> spendByModel() {
        return byModel;
    }

    public String[] recordedUsers() {
        return recordedUsers.toArray(String[]::new);
    }

    public String[] recordedEvents() {
        return recordedEvents.toArray(String[]::new);
    }
}
