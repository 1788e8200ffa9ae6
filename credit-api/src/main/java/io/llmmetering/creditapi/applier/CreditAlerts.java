package io.llmmetering.creditapi.applier;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.CreditAlert;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The alerts a batch's balance changes call for: a balance crossing below its tier's low-balance threshold,
 * month-to-date spend reaching the cap. A crossing happens in exactly one batch (a replay charges nothing and
 * so crosses nothing), which makes each alert fire once per crossing.
 */
final class CreditAlerts {

    static final String LOW_BALANCE = "low_balance";
    static final String CAP_REACHED = "cap_reached";

    private CreditAlerts() {
    }

    static List<CreditAlert> of(List<BalanceChange> changes, ApplierSettings settings, Instant now) {
        List<CreditAlert> alerts = new ArrayList<>();
        for (BalanceChange change : changes) {
            Credits threshold = settings.lowBalanceThreshold(change.tier());
            if (change.crossedBelow(threshold)) {
                boolean exhausted = !change.balanceAfter().isPositive();
                alerts.add(alert(change, LOW_BALANCE, exhausted ? "critical" : "warning", change.balanceAfter(), threshold,
                        exhausted ? "balance exhausted (" + change.balanceAfter() + "); further spend is denied"
                                : "balance " + change.balanceAfter() + " fell below " + threshold, now));
            }
            if (change.capReachedNow()) {
                alerts.add(alert(change, CAP_REACHED, "critical", change.monthToDateAfter(), change.monthlyCap(),
                        "month-to-date spend " + change.monthToDateAfter() + " reached the monthly cap " + change.monthlyCap()
                                + "; further spend is denied", now));
            }
        }
        return alerts;
    }

    private static CreditAlert alert(BalanceChange change, String kind, String severity, Credits observed, Credits threshold,
                                     String message, Instant now) {
        return CreditAlert.newBuilder()
                .setAlertId(change.userId() + ":" + kind + ":" + now.toEpochMilli())
                .setUserId(change.userId()).setKind(kind).setSeverity(severity)
                .setObservedNanos(observed.nanos()).setThresholdNanos(threshold.nanos())
                .setMessage(message).setEmittedAt(now).build();
    }
}
