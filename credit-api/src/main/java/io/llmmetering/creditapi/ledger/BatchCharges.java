package io.llmmetering.creditapi.ledger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one batch charges: the debits the ledger really recorded, summed per user (in user-id order, the order
 * accounts are locked in) and per provider and model. Exact: sums in long nano-credits that fail loudly rather
 * than wrap.
 */
public final class BatchCharges {

    /** One user's share of the batch. */
    static final class UserCharge {
        private long nanos;
        private int events;

        long nanos() {
            return nanos;
        }

        int events() {
            return events;
        }
    }

    private final TreeMap<String, UserCharge> byUser = new TreeMap<>();
    private final Map<AppliedBatch.ModelKey, Long> byModel = new HashMap<>();
    private final List<LedgerDebit> charged = new ArrayList<>();

    public void add(LedgerDebit debit) {
        UserCharge charge = byUser.computeIfAbsent(debit.userId(), user -> new UserCharge());
        charge.nanos = Math.addExact(charge.nanos, debit.amountNanos());
        charge.events++;
        byModel.merge(new AppliedBatch.ModelKey(debit.provider(), debit.model()), debit.amountNanos(), Math::addExact);
        charged.add(debit);
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

    /** The charged users in user-id order. */
    public String[] users() {
        return byUser.keySet().toArray(String[]::new);
    }

    /** Each user's charge, in the order of {@link #users()}. */
    public Long[] amounts() {
        return byUser.values().stream().map(UserCharge::nanos).toArray(Long[]::new);
    }

    /** Each user's number of events, in the order of {@link #users()}. */
    public Integer[] eventCounts() {
        return byUser.values().stream().map(UserCharge::events).toArray(Integer[]::new);
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

    /** The user of each charged debit, in the order they were added (with {@link #recordedEvents()}: the holds they settle). */
    public String[] recordedUsers() {
        return charged.stream().map(LedgerDebit::userId).toArray(String[]::new);
    }

    public String[] recordedEvents() {
        return charged.stream().map(LedgerDebit::eventId).toArray(String[]::new);
    }
}
