package io.llmmetering.creditapi.spending;

import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Group commit for requests that wait for their answer: callers queue while the batch before them is applied, and
 * one worker thread takes whatever has arrived (up to a maximum) the moment it is free, so an idle worker answers
 * the first request at once and nothing waits for a batch to fill. A batch that fails is applied again one request
 * at a time, so a request that cannot be applied fails alone; a {@link LedgerRefusal} among the answers is thrown
 * to its caller only.
 *
 * @param <R> a request
 */
final class RequestBatches<R> implements AutoCloseable {

    /** Applies a batch: one answer per request, in order, or the exception that undid the whole batch. */
    @FunctionalInterface
    interface Applier<R> {
        List<Object> apply(List<R> batch) throws SQLException;
    }

    private static final Logger log = LoggerFactory.getLogger(RequestBatches.class);

    private record Pending<R>(R request, CompletableFuture<Object> answer) {
    }

    private final String name;
    private final int batchSizeMax;
    private final Applier<R> applier;
    private final BlockingQueue<Pending<R>> queue = new LinkedBlockingQueue<>();
    private final Pending<R> stop = new Pending<>(null, null);
    private final DistributionSummary batchSizes;
    private final Thread worker;
    private volatile boolean closed;

    /** @param name names the worker thread and the meters ({@code <name>.batch.size}, {@code <name>.waiting}) */
    RequestBatches(String name, int batchSizeMax, Applier<R> applier, MeterRegistry registry) {
        if (batchSizeMax < 1) {
            throw new IllegalArgumentException("batchSizeMax must be at least 1, was " + batchSizeMax);
        }
        this.name = name;
        this.batchSizeMax = batchSizeMax;
        this.applier = applier;
        this.batchSizes = DistributionSummary.builder(name + ".batch.size").description("requests per batch").register(registry);
        Gauge.builder(name + ".waiting", queue, BlockingQueue::size).description("requests waiting for the next batch").register(registry);
        this.worker = new Thread(this::run, "credit-api-" + name.replace('.', '-'));
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** Queues the request and waits for its batch: its answer, or the refusal or exception it got. */
    Object submit(R request) throws SQLException {
        if (closed) {
            throw new SQLException("credit-api is shutting down: the request was not applied", "57P01");
        }
        CompletableFuture<Object> answer = new CompletableFuture<>();
        queue.add(new Pending<>(request, answer));
        try {
            Object outcome = answer.get();
            if (outcome instanceof LedgerRefusal refusal) {
                throw refusal;
            }
            return outcome;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while its batch was applied: the request may have been applied", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Requests waiting for the next batch. */
    int waiting() {
        return queue.size();
    }

    private void run() {
        List<Pending<R>> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping || !queue.isEmpty()) {
            try {
                batch.add(stopping ? queue.remove() : queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queue.drainTo(batch, batchSizeMax - 1);
            stopping |= batch.remove(stop);
            if (!batch.isEmpty()) {
                batchSizes.record(batch.size());
                try {
                    apply(batch);
                } catch (Throwable e) {
                    // the worker serves every later request: it outlives any one batch, and no caller waits forever
                    log.error("batch failed outside PostgreSQL: batches={} requests={} error={}", name, batch.size(), e.toString());
                    batch.forEach(pending -> pending.answer().completeExceptionally(e));
                }
            }
            batch.clear();
        }
    }

    private void apply(List<Pending<R>> batch) {
        try {
            List<Object> answers = applier.apply(batch.stream().map(Pending::request).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).answer().complete(answers.get(i));
            }
        } catch (SQLException | RuntimeException e) {
            if (batch.size() == 1) {
                batch.get(0).answer().completeExceptionally(e);
                return;
            }
            log.warn("batch refused, applying its requests one by one: batches={} requests={} sqlstate={} error={}", name, batch.size(),
                    e instanceof SQLException sql ? sql.getSQLState() : "", e.toString());
            for (Pending<R> pending : batch) {
                apply(List.of(pending));
            }
        }
    }

    /** Refuses new requests, applies those already queued, and stops the worker. */
    @Override
    public void close() {
        closed = true;
        queue.add(stop);
        try {
            worker.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
