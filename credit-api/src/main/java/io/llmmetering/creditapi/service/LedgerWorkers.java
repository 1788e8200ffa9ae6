package io.llmmetering.creditapi.service;

import io.llmmetering.creditapi.ledger.DebitApplier;
import io.llmmetering.creditapi.rollups.RollupSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.util.ArrayList;
import java.util.List;

/** Runs the debit applier and the rollup sink on their own threads for the life of the application. */
final class LedgerWorkers implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LedgerWorkers.class);

    private final DebitApplier applier;
    private final RollupSink rollupSink;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    LedgerWorkers(DebitApplier applier, RollupSink rollupSink) {
        this.applier = applier;
        this.rollupSink = rollupSink;
    }

    @Override
    public void start() {
        threads.add(startThread("debit-applier", applier));
        threads.add(startThread("rollup-sink", rollupSink));
        running = true;
        log.info("ledger workers started");
    }

    private static Thread startThread(String name, Runnable worker) {
        Thread thread = new Thread(worker, name);
        thread.setUncaughtExceptionHandler((t, e) -> log.error("ledger worker died thread={} error={}", t.getName(), e.toString(), e));
        thread.start();
        return thread;
    }

    @Override
    public void stop() {
        applier.close();
        rollupSink.close();
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

    /** True while every worker thread is alive; a dead applier means debits are no longer reaching the ledger. */
    boolean healthy() {
        return running && threads.stream().allMatch(Thread::isAlive);
    }
}
