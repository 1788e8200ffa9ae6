package io.llmmetering.meteringstreams.service;

import org.apache.kafka.streams.KafkaStreams;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * UP only while RUNNING. REBALANCING (and CREATED) is OUT_OF_SERVICE: alive, but not processing, so a
 * readiness probe routes nothing to it yet; ERROR and shutdown states are DOWN, with the reason when there is one
 * (Kafka refused the service, threads failing in a loop).
 */
final class StreamsHealthIndicator implements HealthIndicator {

    private final StreamsRuntime runtime;

    StreamsHealthIndicator(StreamsRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public Health health() {
        KafkaStreams.State state = runtime.state();
        Status status = switch (state) {
            case RUNNING -> Status.UP;
            case CREATED, REBALANCING -> Status.OUT_OF_SERVICE;
            case PENDING_SHUTDOWN, NOT_RUNNING, PENDING_ERROR, ERROR -> Status.DOWN;
        };
        Health.Builder health = Health.status(status).withDetail("state", state.name())
                .withDetail("threads", runtime.streams().metadataForLocalThreads().size())
                .withDetail("threads_replaced", runtime.threadsReplaced());
        String failure = runtime.failure();
        return (failure == null ? health : health.withDetail("error", failure)).build();
    }
}
