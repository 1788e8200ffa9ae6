package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.money.InvalidAmountException;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A step of the topology that no single record can stop. Whatever {@link #handle} throws for one record, that
 * record goes to the dead-letter topic with the reason, in the same exactly-once transaction as the step's other
 * output, and the partition moves on. Kafka Streams 4.1's {@code ProcessingExceptionHandler} can only continue or
 * fail, not write a record inside the task's transaction, so the step catches first; the library's handler stays
 * the backstop for what happens outside a step (it fails the task, see {@code StreamsConfigFactory}).
 *
 * @param <V> what the step receives
 */
abstract class DeadLetteringProcessor<V> extends ContextualProcessor<String, V, String, Object> {

    /** The reason of a record whose cost does not fit a nano-credit amount (a huge price times huge counts). */
    static final String COST_OVERFLOW = "cost_overflow";
    /** The reason of a record that failed in a way no rule names: a defect to look into, not to retry forever. */
    static final String PROCESSING_ERROR = "processing_error";

    private static final Logger log = LoggerFactory.getLogger(DeadLetteringProcessor.class);

    protected final Step step;
    private Sensor deadLettered;

    DeadLetteringProcessor(Step step) {
        this.step = step;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        super.init(context);
        deadLettered = Metrics.sensor(context, "events-dead-lettered");
    }

    @Override
    public final void process(Record<String, V> record) {
        try {
            handle(record);
        } catch (InvalidAmountException | ArithmeticException e) {
            deadLetter(record, new Rejection(COST_OVERFLOW, e.getMessage()));
        } catch (RuntimeException e) {
            log.error("record dead-lettered after an unexpected error processor={} partition={} offset={} error={}", step.name(),
                    context().recordMetadata().map(m -> m.partition()).orElse(-1),
                    context().recordMetadata().map(m -> m.offset()).orElse(-1L), e.toString(), e);
            deadLetter(record, new Rejection(PROCESSING_ERROR, e.toString()));
        }
    }

    /** Passes the record on, or dead-letters it through {@link #deadLetter}; may throw for any record. */
    abstract void handle(Record<String, V> record);

    /** The record's bytes as they were read from {@code usage.events}, what the dead letter carries. */
    abstract byte[] originalBytes(Record<String, V> record);

    final void deadLetter(Record<String, V> record, Rejection rejection) {
        deadLettered.record();
        context().forward(DeadLetters.of(context(), record.key(), originalBytes(record), rejection, step.name(), record.timestamp()),
                step.deadLetters());
    }
}
