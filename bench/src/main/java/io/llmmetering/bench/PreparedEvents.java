package io.llmmetering.bench;

import io.llmmetering.local.Workload;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.UsageEvent;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * A benchmark's whole workload generated, priced and serialized before any clock starts, so the timed window
 * measures the pipeline and not the load generator (which had cost a quarter of the JVM's CPU when it generated
 * inside the window). Per event: the record key and Avro value as a proxy would publish them, whether it is
 * a unique valid event, its user and what it must cost; so what each user must have been charged is known for
 * any number of events published (a warm-up that ends early leaves the rest unpublished). Every {@code probeEvery}-th
 * unique valid event is a latency probe: its user's total charge once it is applied, which a reader of the
 * cached balance can wait for.
 */
final class PreparedEvents {

    final byte[][] keys;
    final byte[][] values;
    /** What an HTTP proxy would post for each event (only when prepared for --via http). */
    final String[] json;
    final boolean[] uniqueValid;
    final boolean[] invalid;
    private final int[] userOf;
    private final long[] costNanos;
    private final int users;
    /** For each event: -1, or the index of its latency probe in {@link #probeUser} and {@link #probeChargedNanos}. */
    final int[] probeOf;
    final int[] probeUser;
    final long[] probeChargedNanos;
    private final Workload workload;

    private PreparedEvents(Workload workload, int events, int users, int probes, boolean withJson) {
        this.workload = workload;
        this.keys = new byte[events][];
        this.values = new byte[events][];
        this.json = withJson ? new String[events] : null;
        this.uniqueValid = new boolean[events];
        this.invalid = new boolean[events];
        this.userOf = new int[events];
        this.costNanos = new long[events];
        this.users = users;
        this.probeOf = new int[events];
        this.probeUser = new int[probes];
        this.probeChargedNanos = new long[probes];
    }

    /**
     * @param probeEvery one latency probe per this many unique valid events
     * @param occurredAt the event time of the first event; each event is a microsecond later than the previous,
     *                   so the whole run lies in the past when it is published and no event is refused as early
     */
    static PreparedEvents generate(Workload workload, int events, int users, int probeEvery, Instant occurredAt, boolean withJson) {
        PreparedEvents prepared = new PreparedEvents(workload, events, users, events / probeEvery + 1, withJson);
        prepared.fill(probeEvery, occurredAt);
        return prepared;
    }

    private void fill(int probeEvery, Instant firstOccurredAt) {
        MessageCodec<UsageEvent> codec = MessageCodec.of(UsageEvent.class);
        Arrays.fill(probeOf, -1);
        Workload.Call call = null;
        long[] chargedByUser = new long[users];
        long unique = 0;
        int probes = 0;
        for (int i = 0; i < keys.length; i++) {
            call = workload.next(call);
            String userId = workload.userId(call.user());
            Instant occurredAt = firstOccurredAt.plusNanos(i * 1_000L);
            if (!call.duplicate()) {
                uniqueValid[i] = call.valid();
                invalid[i] = !call.valid();
            }
            userOf[i] = call.user();
            if (uniqueValid[i]) {
                costNanos[i] = call.costNanos();
                chargedByUser[call.user()] = Math.addExact(chargedByUser[call.user()], call.costNanos());
                if (unique++ % probeEvery == 0 && probes < probeUser.length) {
                    probeOf[i] = probes;
                    probeUser[probes] = call.user();
                    probeChargedNanos[probes] = chargedByUser[call.user()];
                    probes++;
                }
            }
            keys[i] = userId.getBytes(StandardCharsets.UTF_8);
            values[i] = codec.encode(UsageEvent.newBuilder().setEventId(call.eventId()).setOccurredAt(occurredAt).setUserId(userId)
                    .setProvider("bench").setModel(call.model()).setInputTokens(call.inputTokens()).setOutputTokens(call.outputTokens())
                    .setPowerLevel(call.powerLevel()).setSource("bench").build());
            if (json != null) {
                json[i] = "{\"event_id\":\"" + call.eventId() + "\",\"user_id\":\"" + userId + "\",\"provider\":\"bench\",\"model\":\""
                        + call.model() + "\",\"input_tokens\":" + call.inputTokens() + ",\"output_tokens\":" + call.outputTokens()
                        + ",\"power_level\":\"" + call.powerLevel() + "\",\"occurred_at\":\"" + occurredAt + "\"}";
            }
        }
    }

    /**
     * The share of the unique valid events whose user's partition (Kafka's default partitioner, the user id as
     * key) is the busiest of {@code partitions}: 1 / partitions when users spread evenly.
     */
    double busiestPartitionShare(int partitions) {
        long[] byPartition = new long[partitions];
        long unique = 0;
        for (int i = 0; i < keys.length; i++) {
            if (uniqueValid[i]) {
                byPartition[org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(keys[i])) % partitions]++;
                unique++;
            }
        }
        return unique == 0 ? 0 : (double) Arrays.stream(byPartition).max().orElse(0) / unique;
    }

    /** What each user must have been charged once the first {@code published} events are applied, in nano-credits. */
    long[] expectedNanosByUser(int published) {
        long[] charged = new long[users];
        for (int i = 0; i < published; i++) {
            charged[userOf[i]] = Math.addExact(charged[userOf[i]], costNanos[i]);
        }
        return charged;
    }

    int size() {
        return keys.length;
    }

    String userId(int user) {
        return workload.userId(user);
    }

    Workload workload() {
        return workload;
    }
}
