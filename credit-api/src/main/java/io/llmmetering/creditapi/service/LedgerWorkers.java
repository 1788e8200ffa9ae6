package io.llmmetering.creditapi.service;

import io.llmmetering.creditapi.applier.DebitApplier;
import io.llmmetering.creditapi.applier.UsagePartitionMaintenance;
import io.llmmetering.creditapi.analytics.UsageRollupJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the debit appliers on their own threads for the life of the application, and on a schedule the hourly
 * usage rollups and the usage_events partition upkeep.
 */
final class LedgerWorkers implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LedgerWorkers.class);

    private final List<DebitApplier> appliers;
    private final UsageRollupJob rollups;
    private final Duration rollupInterval;
    private final UsagePartitionMaintenance partitions;
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "ledger-maintenance"));
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    LedgerWorkers(List<DebitApplier> appliers, UsageRollupJob rollups, Duration rollupInterval, UsagePartitionMaintenance partitions) {
        this.appliers = List.copyOf(appliers);
        this.rollups = rollups;
        this.rollupInterval = rollupInterval;
        this.partitions = partitions;
    }

    @Override
    public void start() {
        maintenance.scheduleAtFixedRate(this::maintainPartitions, 0, 24, TimeUnit.HOURS);
        maintenance.scheduleWithFixedDelay(this::rollUpUsage, rollupInterval.toMillis(), rollupInterval.toMillis(), TimeUnit.MILLISECONDS);
        for (int i = 0; i < appliers.size(); i++) {
            threads.add(startThread("debit-applier-" + i, appliers.get(i)));
        }
        running = true;
        log.info("ledger workers started");
    }

    private static Thread startThread(String name, Runnable worker) {
        Thread thread = new Thread(worker, name);
        thread.setUncaughtExceptionHandler((t, e) -> log.error("ledger worker died thread={} error={}", t.getName(), e.toString(), e));
        thread.start();
        return thread;
    }

    private void maintainPartitions() {
        try {
            partitions.run();
        } catch (Exception e) {
            // the default partition takes events meanwhile; the next run tries again
            log.warn("usage_events partition maintenance failed error={}", e.toString());
        }
    }

    private void rollUpUsage() {
        try {
            rollups.run(Instant.now());
        } catch (Exception e) {
            // analytics read unrolled hours from usage_events meanwhile; the next run tries again
            log.warn("usage rollup failed error={}", e.toString());
        }
    }

    @Override
    public void stop() {
        maintenance.shutdownNow();
        appliers.forEach(DebitApplier::close);
        for (Thread thread : threads) {
            try {
                thread.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running = false;
        log.info("ledger workers stopped");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * True while every applier thread is alive and none is recovering from a failure outside a batch: either
     * means debits are not reaching the ledger now.
     */
    boolean healthy() {
        return running && threads.stream().allMatch(Thread::isAlive) && appliers.stream().allMatch(DebitApplier::healthy);
    }
}
