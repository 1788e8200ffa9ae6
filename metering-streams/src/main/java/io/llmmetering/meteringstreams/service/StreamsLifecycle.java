package io.llmmetering.meteringstreams.service;

import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * Creates the topics and starts the topology once the service answers HTTP, on a thread of its own: Kafka Streams'
 * start returns only when the global price-book store is loaded, which waits for the broker. Meanwhile health says
 * OUT_OF_SERVICE and metrics are scraped. When Kafka refuses the service (wrong credentials, a missing ACL) it stays
 * up to say so, health DOWN with the reason, since no restart would cure it; any other failure to start exits with
 * 1, for the orchestrator to start it again. A stop (SIGTERM) interrupts a start still waiting for the broker.
 */
final class StreamsLifecycle implements SmartLifecycle {

    private final Runnable provisionTopics;
    private final StreamsRuntime runtime;
    private final ConfigurableApplicationContext context;
    private volatile Thread starting;
    private volatile boolean running;

    StreamsLifecycle(Runnable provisionTopics, StreamsRuntime runtime, ConfigurableApplicationContext context) {
        this.provisionTopics = provisionTopics;
        this.runtime = runtime;
        this.context = context;
    }

    @Override
    public void start() {
        Thread thread = new Thread(this::provisionAndStart, "streams-start");
        starting = thread;
        running = true;
        thread.start();
    }

    private void provisionAndStart() {
        try {
            provisionTopics.run();
            runtime.start();
        } catch (RuntimeException error) {
            if (running && !runtime.failedToStart(error)) {
                System.exit(SpringApplication.exit(context, () -> 1));
            }
        }
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = starting;
        if (thread != null && thread.isAlive()) {
            thread.interrupt(); // a start still waiting for the broker gives up, and close can begin
            runtime.closeUnstarted();
        } else {
            runtime.close();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Later than the web server's phase: health and metrics answer while the topology starts. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE;
    }
}
