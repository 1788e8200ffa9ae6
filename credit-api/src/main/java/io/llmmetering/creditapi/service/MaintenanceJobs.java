package io.llmmetering.creditapi.service;

import io.llmmetering.creditapi.accounts.AccountGauges;
import io.llmmetering.creditapi.holds.ExpiredHolds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Background upkeep on every instance: releasing holds nobody settled (safe to run concurrently: each release
 * is conditional and locked) and refreshing the account gauges. A failed run is logged and tried again at the
 * next tick.
 */
final class MaintenanceJobs implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(MaintenanceJobs.class);
    private static final int EXPIRY_BATCH = 500;

    private final ExpiredHolds holds;
    private final AccountGauges gauges;
    private volatile ScheduledExecutorService scheduler;

    MaintenanceJobs(ExpiredHolds holds, AccountGauges gauges) {
        this.holds = holds;
        this.gauges = gauges;
    }

    @Override
    public void start() {
        ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "credit-api-maintenance");
            thread.setDaemon(true);
            return thread;
        });
        started.scheduleWithFixedDelay(() -> guarded("hold expiry", this::expireHolds), 5, 5, TimeUnit.SECONDS);
        started.scheduleWithFixedDelay(() -> guarded("account gauges", gauges::refresh), 0, 60, TimeUnit.SECONDS);
        scheduler = started;
    }

    private void expireHolds() throws Exception {
        while (holds.expireDue(EXPIRY_BATCH) == EXPIRY_BATCH) {
            // a backlog: keep going
        }
    }

    @Override
    public void stop() {
        ScheduledExecutorService running = scheduler;
        if (running != null) {
            running.shutdownNow();
        }
        scheduler = null;
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }

    @FunctionalInterface
    private interface Job {
        void run() throws Exception;
    }

    private static void guarded(String name, Job job) {
        try {
            job.run();
        } catch (Exception e) {
            log.warn("{} failed error={}", name, e.toString());
        }
    }
}
