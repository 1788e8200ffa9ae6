package io.llmmetering.creditapi.applier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether each partition of {@code credit.debits} a process applies is moving. A partition is stalled when it has
 * lag and no batch of it committed for {@code stallAfter}: whatever the cause (a database outage, a defect, a
 * debit nothing could isolate), its users are not being charged, and health, the
 * {@code credit.applier.partition.stalled} gauge (tagged with the partition) and the log say which. One instance
 * per process, shared by its appliers, so a partition that moves between them keeps one gauge.
 */
public final class PartitionProgress {

    public static final String DEFAULT_STALL_AFTER = "PT60S";

    private static final Logger log = LoggerFactory.getLogger(PartitionProgress.class);

    private final MeterRegistry registry;
    private final long stallAfterNanos;
    private final Map<Integer, Partition> partitions = new ConcurrentHashMap<>();

    private static final class Partition {
        volatile boolean owned;
        volatile long lag;
        volatile long movedAtNanos;
        volatile boolean stalled;
    }

    public PartitionProgress(MeterRegistry registry, Duration stallAfter) {
        this.registry = registry;
        this.stallAfterNanos = stallAfter.toNanos();
    }

    /** Taken by an applier: the clock of the partition starts now. */
    void assigned(int partition, long nowNanos) {
        Partition state = partitions.computeIfAbsent(partition, this::register);
        state.owned = true;
        state.movedAtNanos = nowNanos;
        state.stalled = false;
    }

    void revoked(int partition) {
        Partition state = partitions.get(partition);
        if (state != null) {
            state.owned = false;
            state.stalled = false;
            state.lag = 0;
        }
    }

    /** A batch with records of the partition committed. */
    void moved(int partition, long nowNanos) {
        Partition state = partitions.computeIfAbsent(partition, this::register);
        state.movedAtNanos = nowNanos;
        if (state.stalled) {
            state.stalled = false;
            log.info("debit partition moving again partition={}", partition);
        }
    }

    /** The lag the applier's consumer last saw for the partition (records past its position). */
    void observed(int partition, long lag, long nowNanos) {
        Partition state = partitions.get(partition);
        if (state == null || !state.owned) {
            return;
        }
        state.lag = lag;
        boolean stalled = lag > 0 && nowNanos - state.movedAtNanos > stallAfterNanos;
        if (stalled && !state.stalled) {
            log.error("debit partition stalled: not applied while its lag grows partition={} lag={} stalled_for_s={}", partition, lag,
                    Duration.ofNanos(nowNanos - state.movedAtNanos).toSeconds());
        }
        state.stalled = stalled;
    }

    /** The partitions stalled now, in order. */
    public List<Integer> stalled() {
        return partitions.entrySet().stream().filter(e -> e.getValue().stalled).map(Map.Entry::getKey).sorted().toList();
    }

    private Partition register(int partition) {
        Partition state = new Partition();
        Gauge.builder("credit.applier.partition.stalled", state, s -> s.stalled ? 1 : 0).tag("partition", Integer.toString(partition))
                .description("1 while the partition of credit.debits has lag and has not been applied for the stall time").register(registry);
        Gauge.builder("credit.applier.partition.lag", state, s -> s.lag).tag("partition", Integer.toString(partition))
                .description("debits of the partition past the applier's position").register(registry);
        return state;
    }
}
