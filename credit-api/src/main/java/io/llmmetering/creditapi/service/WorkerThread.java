package io.llmmetering.creditapi.service;

import io.llmmetering.creditapi.controlplane.KafkaReader;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;

/** Runs one Kafka reader on a named daemon thread for the life of the application, and closes it on shutdown. */
final class WorkerThread implements SmartLifecycle {

    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final KafkaReader<?, ?> reader;
    private volatile Thread thread;

    WorkerThread(String name, KafkaReader<?, ?> reader) {
        this.name = name;
        this.reader = reader;
    }

    @Override
    public void start() {
        Thread started = new Thread(reader, name);
        started.setDaemon(true);
        started.start();
        thread = started;
    }

    @Override
    public void stop() {
        Thread running = thread;
        reader.close();
        try {
            if (running != null) {
                running.join(STOP_WAIT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread = null;
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }
}
