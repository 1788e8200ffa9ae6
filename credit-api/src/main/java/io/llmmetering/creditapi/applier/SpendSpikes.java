package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.CreditAlert;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Spend spikes, judged once per applied batch for each user it charged: an alert when a user's spend in the
 * sliding window (default 5 minutes of event time) exceeds a multiple of their baseline, the average spend per
 * window over the rest of the baseline period (default the hour before), or an absolute threshold. After an
 * alert the user is not alerted again until a whole window has passed.
 *
 * <p>The histories live in this applier's memory, fed by the batches it commits: they cost no write per event
 * (in the topology they had cost a state store write and a changelog record each). A user's events all reach
 * the applier that owns their partition. After a restart or a partition move, the new owner knows no history
 * yet, and judges those users by the absolute threshold alone until a window of history has built up, as for
 * a new user. Memory is bounded: the least recently charged users beyond {@code usersTracked} are forgotten.
 */
final class SpendSpikes {

    static final String KIND = "spend_spike";

    private static final long MINUTE_MILLIS = 60_000L;

    private final SpikeSettings settings;
    private final int windowMinutes;
    private final int baselineMinutes;
    private final Map<String, SpendHistory> histories;

    SpendSpikes(SpikeSettings settings) {
        this.settings = settings;
        this.windowMinutes = (int) settings.window().toMinutes();
        this.baselineMinutes = (int) settings.baseline().toMinutes();
        this.histories = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, SpendHistory> eldest) {
                return size() > settings.usersTracked();
            }
        };
    }

    /** Adds a committed batch's charges to their users' histories and returns the spikes they make: one look per user. */
    List<CreditAlert> afterBatch(BatchCharges charges, Instant now) {
        List<CreditAlert> alerts = new ArrayList<>();
        for (Map.Entry<String, BatchCharges.UserCharge> entry : charges.byUser().entrySet()) {
            BatchCharges.UserCharge charge = entry.getValue();
            if (charge.nanos() == 0) {
                continue;
            }
            String user = entry.getKey();
            SpendHistory history = histories.computeIfAbsent(user, key -> new SpendHistory(baselineMinutes));
            boolean added = false;
            for (int i = 0; i < charge.minuteCount(); i++) {
                // false: older than the whole baseline, charged but too old to say anything about a spike now
                added |= charge.minuteNanos(i) != 0 && history.add(charge.minute(i), charge.minuteNanos(i));
            }
            if (!added) {
                continue;
            }
            long eventMillis = charge.newestOccurredMillis();
            long windowSpend = history.recent(windowMinutes);
            long coveredMinutes = history.minutesBefore(windowMinutes);
            // a baseline needs at least one whole window of history; a new user is judged by the absolute threshold alone
            long baselinePerWindow = coveredMinutes < windowMinutes ? 0 : history.before(windowMinutes) / coveredMinutes * windowMinutes;
            if (!history.alertsSuppressedAt(eventMillis) && isSpike(windowSpend, baselinePerWindow)) {
                alerts.add(alert(user, history, windowSpend, baselinePerWindow, now));
                history.suppressAlertsUntil(eventMillis + settings.window().toMillis());
            }
        }
        return alerts;
    }

    private CreditAlert alert(String user, SpendHistory history, long windowSpend, long baselinePerWindow, Instant now) {
        long windowEnd = (history.newestMinute() + 1) * MINUTE_MILLIS;
        long windowStart = windowEnd - settings.window().toMillis();
        boolean absolute = windowSpend >= settings.absoluteThreshold().nanos();
        long threshold = absolute ? settings.absoluteThreshold().nanos() : baselinePerWindow * settings.multiplierPercent() / 100;
        return CreditAlert.newBuilder()
                .setAlertId(user + ":spend_spike:" + windowStart)
                .setUserId(user).setKind(KIND).setSeverity(absolute ? "critical" : "warning")
                .setObservedNanos(windowSpend).setThresholdNanos(threshold)
                .setWindowStart(Instant.ofEpochMilli(windowStart)).setWindowEnd(Instant.ofEpochMilli(windowEnd))
                .setMessage("spent " + Credits.ofNanos(windowSpend) + " credits in " + windowMinutes + " min; "
                        + (absolute ? "absolute threshold " + Credits.ofNanos(threshold) : "baseline " + Credits.ofNanos(baselinePerWindow) + " per window"))
                .setEmittedAt(now)
                .build();
    }

    private boolean isSpike(long windowSpend, long baselinePerWindow) {
        if (windowSpend >= settings.absoluteThreshold().nanos()) {
            return true;
        }
        if (windowSpend < settings.minimumSpend().nanos() || baselinePerWindow == 0) {
            return false;
        }
        // windowSpend * 100 > baseline * percent, in BigInteger so a large spend cannot overflow into a wrong answer
        return BigInteger.valueOf(windowSpend).multiply(BigInteger.valueOf(100))
                .compareTo(BigInteger.valueOf(baselinePerWindow).multiply(BigInteger.valueOf(settings.multiplierPercent()))) > 0;
    }

    int usersTracked() {
        return histories.size();
    }
}
