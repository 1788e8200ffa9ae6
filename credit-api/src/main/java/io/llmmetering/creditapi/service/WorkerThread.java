package io.llmmetering.creditapi.service;

import org.springframework.context.SmartLifecycle;

import java.time.Duration;

/**
 * Runs one long-lived worker (a Kafka reader) on a named daemon thread for the life of the application, and
 * closes it on shutdown: the worker's {@code close()} must make its {@code run()} return.
 */
final class WorkerThread implements SmartLifecycle {

    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final Runnable worker;
    private final AutoCloseable closer;
    private volatile Thread thread;

    <W extends Runnable & AutoCloseable> WorkerThread(String name, W worker) {
        this.name = name;
        this.worker = worker;
        this.closer = worker;
    }

    @Override
    public void start() {
        Thread started = new Thread(worker, name);
        started.setDaemon(true);
        started.start();
        thread = started;
    }

    @Override
    public void stop() {
        Thread running = thread;
        try {
            closer.close();
            if (running != null) {
                running.join(STOP_WAIT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException(name + " did not close: " + e, e);
        }
        thread = null;
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }
}
