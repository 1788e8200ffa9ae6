package io.llmmetering.meteringstreams.service;

import io.llmmetering.schemas.client.KafkaClients;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one {@link KafkaStreams} instance of a topology: starts it, reports its state, and closes it so that
 * the open transaction commits. A thread that dies of an unexpected error is replaced: under exactly-once its
 * transaction is aborted and the replacement resumes from the last commit, so nothing is lost or doubled. Threads
 * failing in a loop (more than {@value #REPLACEMENTS_MAX} within {@link #LOOP_WINDOW}) or refused by Kafka
 * (credentials, ACLs) stop the instance instead, with one line saying why: health goes DOWN rather than the
 * instance spinning on the same failure.
 */
public final class StreamsRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamsRuntime.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaStreams streams;
    private final AtomicLong threadsReplaced = new AtomicLong();
    /** Replacements at most this many within {@link #LOOP_WINDOW}; more is a loop, and the instance stops (health DOWN). */
    static final int REPLACEMENTS_MAX = 5;
    static final Duration LOOP_WINDOW = Duration.ofMinutes(5);
    private final java.util.ArrayDeque<Long> recentFailures = new java.util.ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String failure;

    /** @param config from {@link StreamsConfigFactory}: {@code spring.kafka.*} with what exactly-once requires */
    public StreamsRuntime(Topology topology, Properties config) {
        this.streams = KafkaClients.Streams.of(topology, config);
        streams.setUncaughtExceptionHandler(error -> {
            String refusal = KafkaClients.refusal(error);
            if (refusal != null) {
                // replacing the thread would meet the same refusal forever: stop, and say what was refused
                refused(refusal);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            long replaced = threadsReplaced.incrementAndGet();
            if (failingInALoop(System.nanoTime())) {
                // a record cannot cause this (each step dead-letters its record): replacing again would fail again
                failure = "stream threads keep failing: " + error;
                log.error("stream threads keep failing, stopping threads_replaced={} within={} error={}", replaced, LOOP_WINDOW,
                        error.toString(), error);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("stream thread failed, replacing it threads_replaced={} error={}", replaced, error.toString(), error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((next, previous) -> log.info("streams state from={} to={}", previous, next));
    }

    /** True when this failure makes more than {@link #REPLACEMENTS_MAX} within {@link #LOOP_WINDOW}. */
    private synchronized boolean failingInALoop(long nowNanos) {
        recentFailures.addLast(nowNanos);
        while (!recentFailures.isEmpty() && nowNanos - recentFailures.peekFirst() > LOOP_WINDOW.toNanos()) {
            recentFailures.removeFirst();
        }
        return recentFailures.size() > REPLACEMENTS_MAX;
    }

    private void refused(String refusal) {
        failure = refusal;
        log.error("Kafka refused the topology, stopping: {} error={}", refusal.startsWith(KafkaClients.AUTHENTICATION_REFUSED)
                ? "check the credentials in spring.kafka.properties (sasl.jaas.config) and the TLS settings"
                : "grant the ACLs docs/operations.md lists for metering-streams", refusal);
    }

    /** Starts the instance; returns once the global price-book store is loaded (Kafka Streams loads it first) and the stream threads run. */
    public StreamsRuntime start() {
        streams.start();
        return this;
    }

    /**
     * Logs why the instance could not start (creating its topics, loading the price book) and keeps it for
     * {@link #failure()}. True when Kafka refused it (credentials, an ACL), which no restart cures.
     */
    public boolean failedToStart(RuntimeException error) {
        String refusal = KafkaClients.refusal(error);
        if (refusal != null) {
            refused(refusal);
            return true;
        }
        Throwable cause = NestedExceptionUtils.getMostSpecificCause(error);
        failure = "failed to start: " + error + (cause == error ? "" : ", caused by " + cause);
        log.error("streams {}", failure, error);
        return false;
    }

    /** Why the instance stopped or never started (a refusal, a failure to start, threads failing in a loop); null while none. */
    public String failure() {
        return failure;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public KafkaStreams streams() {
        return streams;
    }

    /**
     * How many stream threads died and were replaced since start. A record that fails is dead-lettered by the
     * step it failed in, so this stays 0 whatever the input; anything else is a defect or an outage to look into.
     */
    public long threadsReplaced() {
        return threadsReplaced.get();
    }

    /** Waits until the instance is RUNNING (all tasks assigned and restored), or fails after {@code timeout}. */
    public void awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                throw new IllegalStateException("streams not running after " + timeout + ", state " + streams.state());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for streams", e);
            }
        }
    }

    /** Closes gracefully: the current transaction commits, the group is left, state stays on disk. */
    @Override
    public void close() {
        close(CLOSE_TIMEOUT);
    }

    /**
     * Closes an instance whose start has not returned, still loading the price book: no stream thread has run, so
     * there is nothing to commit (and were one just starting, exactly-once aborts what it did not commit), and the
     * global thread, waiting for the broker until its own timeout, is not waited for.
     */
    public void closeUnstarted() {
        close(Duration.ofSeconds(1));
    }

    private void close(Duration timeout) {
        if (closed.compareAndSet(false, true)) {
            boolean clean = streams.close(new KafkaStreams.CloseOptions().timeout(timeout).leaveGroup(true));
            log.info("streams closed cleanly={}", clean);
        }
    }
}
