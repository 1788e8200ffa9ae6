package io.llmmetering.meteringstreams.service;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.meteringstreams.topology.MeteringTopology;
import io.llmmetering.meteringstreams.topology.TopologySettings;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.UsageEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topology on a real broker with exactly-once: every unique event is debited exactly once, across a
 * restart in the middle of the stream and across two instances sharing the work.
 */
@Tag("integration")
@Tag("reliability")
class ExactlyOnceIntegrationTest {

    private static final PriceBook BOOK = PriceBookReader.defaultPriceBook();
    private EmbeddedKafkaBroker broker;

    @BeforeEach
    void startBroker() {
        // a broker of its own: the topic names are fixed contracts, and this test owns their contents
        broker = EmbeddedKafkaBroker.builder().build().start();
        TopicProvisioner provisioner = new TopicProvisioner(KafkaClients.plaintext(broker.bootstrapServers()));
        provisioner.createTopics(6, (short) 1, 1);
        provisioner.seedPriceBookIfEmpty(BOOK);
    }

    @AfterEach
    void stopBroker() {
        broker.close();
    }

    private StreamsRuntime runtime(Path stateDir) {
        KafkaClients kafka = KafkaClients.plaintext(broker.bootstrapServers());
        MeteringStreamsProperties settings = MeteringStreamsProperties.bind(Map.of("metering.streams.application-id", "metering-it",
                "metering.streams.instance-id", stateDir.getFileName().toString(), "metering.streams.state-dir", stateDir.toString()));
        return new StreamsRuntime(MeteringTopology.build(TopologySettings.defaults(), BOOK), StreamsConfigFactory.create(kafka, settings));
    }

    @Test
    void everyUniqueEventIsDebitedExactlyOnceAcrossARestartInTheMiddle(@TempDir Path stateDir) {
        UsageTraffic traffic = new UsageTraffic(BOOK, 3_000, 40, 0.2, 42);
        int half = traffic.published.size() / 2;

        UsageTraffic.publish(broker.bootstrapServers(), traffic.published.subList(0, half));
        try (StreamsRuntime first = runtime(stateDir).start()) {
            first.awaitRunning(Duration.ofSeconds(60));
            UsageTraffic.readCommittedDebits(broker.bootstrapServers(), 500, Duration.ofSeconds(60));
        } // closed mid-stream: state stays on disk, no cleanup
        UsageTraffic.publish(broker.bootstrapServers(), traffic.published.subList(half, traffic.published.size()));
        try (StreamsRuntime second = runtime(stateDir).start()) {
            second.awaitRunning(Duration.ofSeconds(60));
            assertExactlyOnce(traffic, UsageTraffic.readCommittedDebits(broker.bootstrapServers(), traffic.unique.size(), Duration.ofSeconds(120)));
        }
    }

    @Test
    void twoInstancesShareThePartitionsAndStillDebitEachEventOnce(@TempDir Path stateDirA, @TempDir Path stateDirB) {
        UsageTraffic traffic = new UsageTraffic(BOOK, 3_000, 60, 0.2, 7);
        try (StreamsRuntime a = runtime(stateDirA).start(); StreamsRuntime b = runtime(stateDirB).start()) {
            a.awaitRunning(Duration.ofSeconds(60));
            b.awaitRunning(Duration.ofSeconds(60));
            UsageTraffic.publish(broker.bootstrapServers(), traffic.published);
            assertExactlyOnce(traffic, UsageTraffic.readCommittedDebits(broker.bootstrapServers(), traffic.unique.size(), Duration.ofSeconds(120)));
            double pricedByA = eventsPriced(a);
            double pricedByB = eventsPriced(b);
            assertThat(pricedByA).isPositive();
            assertThat(pricedByB).isPositive();
            // an aborted transaction during a rebalance is re-processed, so the counters may exceed the unique count
            assertThat(pricedByA + pricedByB).isGreaterThanOrEqualTo(traffic.unique.size());
        }
    }

    private static double eventsPriced(StreamsRuntime runtime) {
        return runtime.streams().metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("events-priced-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    private static void assertExactlyOnce(UsageTraffic traffic, List<Debit> debits) {
        Set<String> uniqueIds = traffic.unique.stream().map(UsageEvent::getEventId).collect(Collectors.toSet());
        assertThat(debits).hasSize(traffic.unique.size());
        assertThat(debits.stream().map(Debit::getEventId).collect(Collectors.toSet())).isEqualTo(uniqueIds);
        assertThat(UsageTraffic.sumByUser(debits)).isEqualTo(traffic.expectedNanosByUser);
        assertThat(debits.stream().mapToLong(Debit::getAmountNanos).sum()).isEqualTo(traffic.expectedTotalNanos());
        assertThat(debits.stream().collect(Collectors.toMap(Debit::getEventId, Function.identity(), (x, y) -> x))).hasSize(uniqueIds.size());
    }
}
