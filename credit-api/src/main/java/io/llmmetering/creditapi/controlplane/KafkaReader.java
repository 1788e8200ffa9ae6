package io.llmmetering.creditapi.controlplane;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;

/**
 * A Kafka consumer read on a thread of its own until {@link #close()}: the skeleton every such reader shares.
 * Closing wakes a poll that is waiting, {@link #read()} returns or is woken, and the consumer is closed on the
 * reading thread, the only one that may touch it.
 */
public abstract class KafkaReader<K, V> implements Runnable, AutoCloseable {

    protected final KafkaConsumer<K, V> consumer;
    private volatile boolean closed;

    protected KafkaReader(KafkaConsumer<K, V> consumer) {
        this.consumer = consumer;
    }

    /** Reads until {@link #closed()}; a wakeup after close ends it quietly. */
    protected abstract void read();

    protected final boolean closed() {
        return closed;
    }

    /** Waits {@code pause} unless closed meanwhile (an interrupt closes). */
    protected final void pause(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    @Override
    public final void run() {
        try {
            read();
        } catch (WakeupException e) {
            if (!closed) {
                throw e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
    }
}
