package io.llmmetering.meteringstreams.service;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.meteringstreams.topology.MeteringTopology;
import io.llmmetering.meteringstreams.topology.TopologySettings;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events per second through the whole topology on the in-JVM broker: exactly-once v2 against at-least-once
 * (the baseline) on the same pre-published input, in the same run. Also the dedupe store's size on disk.
 * Run: {@code ./mvnw -B -Pbenchmark -pl metering-streams -am verify -Dsurefire.failIfNoSpecifiedTests=false}
 * (events: {@code -Dbench.events=200000}).
 */
@Tag("benchmark")
class TopologyThroughputBenchmark {

    private static final PriceBook BOOK = PriceBookReader.defaultPriceBook();

    @Test
    void exactlyOnceThroughputAgainstAtLeastOnce() throws Exception {
        int uniqueEvents = Integer.getInteger("bench.events", 100_000);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
            TopicProvisioner provisioner = new TopicProvisioner(KafkaClients.plaintext(broker.bootstrapServers()));
            provisioner.createTopics(6, (short) 1, 1);
            provisioner.seedPriceBookIfEmpty(BOOK);
            UsageTraffic traffic = new UsageTraffic(BOOK, uniqueEvents, 5_000, 0.1, 99);
            UsageTraffic.publish(broker.bootstrapServers(), traffic.published);
            System.out.printf("%nbenchmark input: %d events published (%d unique, %d duplicates), 6 partitions%n",
                    traffic.published.size(), traffic.unique.size(), traffic.published.size() - traffic.unique.size());

            // a first pass warms the JIT, so neither measured run pays for it
            run(broker, "bench-warmup", StreamsConfig.AT_LEAST_ONCE, traffic);
            Run alos = run(broker, "bench-alos", StreamsConfig.AT_LEAST_ONCE, traffic);
            Run eos = run(broker, "bench-eos", StreamsConfig.EXACTLY_ONCE_V2, traffic);

            System.out.printf("commit interval %s ms, %s stream thread(s)%n", System.getProperty("bench.commit.ms", "100"),
                    System.getProperty("bench.threads", "1"));
            for (var entry : List.of(Map.entry("at_least_once  ", alos), Map.entry("exactly_once_v2", eos))) {
                Run run = entry.getValue();
                System.out.printf("%s : %,8.0f events/s from start (%d debits in %d ms), %,8.0f events/s first to last debit%n",
                        entry.getKey(), run.eventsPerSecond(), run.debits, run.millis, run.steadyEventsPerSecond());
            }
            System.out.printf("exactly-once throughput is %.0f %% of at-least-once (first to last debit)%n",
                    100.0 * eos.steadyEventsPerSecond() / alos.steadyEventsPerSecond());
            System.out.printf("dedupe store on disk: %,d bytes for %,d ids = %,.0f MB per million events%n",
                    eos.dedupeStoreBytes, traffic.unique.size(), eos.dedupeStoreBytes / (traffic.unique.size() / 1e6) / 1e6);
            assertThat(eos.debits).isEqualTo(traffic.unique.size());
        }
    }

    /** {@code millis}: from start() to the last debit; {@code steadyMillis}: from the first debit to the last. */
    private record Run(long debits, long millis, long steadyMillis, long dedupeStoreBytes, int published) {
        double eventsPerSecond() {
            return published * 1000.0 / millis;
        }

        double steadyEventsPerSecond() {
            return published * 1000.0 / steadyMillis;
        }
    }

    private Run run(EmbeddedKafkaBroker broker, String applicationId, String guarantee, UsageTraffic traffic) throws IOException {
        Path stateDir = Files.createTempDirectory(applicationId);
        KafkaClients kafka = KafkaClients.plaintext(broker.bootstrapServers());
        Properties config = StreamsConfigFactory.create(kafka, MeteringStreamsProperties.bind(Map.of("metering.streams.application-id", applicationId,
                "metering.streams.instance-id", "bench", "metering.streams.state-dir", stateDir.toString(),
                "metering.streams.threads", Integer.toString(Integer.getInteger("bench.threads", 1)),
                "metering.streams.commit-interval", Long.getLong("bench.commit.ms", 100) + "ms")));
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        Set<String> debited = new HashSet<>();
        long debits = 0;
        long started;
        long firstDebit = 0;
        try (KafkaConsumer<String, Debit> consumer = debitsConsumer(broker);
             StreamsRuntime runtime = new StreamsRuntime(MeteringTopology.build(TopologySettings.defaults(), BOOK), config)) {
            // assigned, not subscribed: a group join can outlast a short poll and then start at "latest", past debits
            consumer.assign(consumer.partitionsFor(Topics.CREDIT_DEBITS).stream()
                    .map(partition -> new TopicPartition(partition.topic(), partition.partition())).toList());
            consumer.seekToEnd(consumer.assignment());
            consumer.assignment().forEach(consumer::position);
            started = System.nanoTime();
            runtime.start();
            long deadline = started + Duration.ofMinutes(10).toNanos();
            while (debited.size() < traffic.unique.size() && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(100))) {
                    if (firstDebit == 0) {
                        firstDebit = System.nanoTime();
                    }
                    debited.add(record.value().getEventId());
                    debits++;
                }
            }
            long finished = System.nanoTime();
            runtime.close();
            return new Run(debits, Duration.ofNanos(finished - started).toMillis(), Duration.ofNanos(finished - firstDebit).toMillis(),
                    sizeOf(stateDir, "dedupe-event-ids"), traffic.published.size());
        }
    }

    private static KafkaConsumer<String, Debit> debitsConsumer(EmbeddedKafkaBroker broker) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                new StringDeserializer(), AvroSerde.of(Debit.class).deserializer());
    }

    private static long sizeOf(Path root, String storeName) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(path -> path.toString().contains("/" + storeName + "/") && Files.isRegularFile(path))
                    .mapToLong(path -> path.toFile().length()).sum();
        }
    }
}
