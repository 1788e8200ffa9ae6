package io.llmmetering.meteringstreams.topology;

import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/** Our own Streams metrics (rate and total), tagged by task so two tasks on one thread never clash. */
final class Metrics {
    static final String SCOPE = "metering";

    private Metrics() {
    }

    static Sensor sensor(ProcessorContext<?, ?> context, String operation) {
        return context.metrics().addRateTotalSensor(SCOPE, "task-" + context.taskId(), operation, Sensor.RecordingLevel.INFO);
    }
}
