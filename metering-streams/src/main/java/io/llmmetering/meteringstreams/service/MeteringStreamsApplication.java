package io.llmmetering.meteringstreams.service;

import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.meteringstreams.topology.MeteringTopology;
import io.llmmetering.schemas.client.KafkaClients;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import org.apache.kafka.streams.KafkaStreams;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.kafka.autoconfigure.metrics.KafkaMetricsAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The metering-streams service: the topology, its health and its metrics. Port 8086 by default. */
@SpringBootApplication(exclude = {KafkaAutoConfiguration.class, KafkaMetricsAutoConfiguration.class})
@EnableConfigurationProperties({MeteringStreamsProperties.class, MeteringStreamsProperties.EventRules.class, KafkaProperties.class})
public class MeteringStreamsApplication {

    public static void main(String[] args) {
        SpringApplication.run(MeteringStreamsApplication.class, args);
    }

    @Bean
    PriceBook configuredPriceBook() {
        return PriceBookReader.defaultPriceBook();
    }

    /** Every Kafka client of the service is built from {@code spring.kafka.*}, bound by Spring Boot's own class. */
    @Bean
    KafkaClients kafkaClients(KafkaProperties kafka) {
        return KafkaClients.of(kafka.buildProducerProperties(), kafka.buildConsumerProperties(), kafka.buildAdminProperties(),
                kafka.buildStreamsProperties());
    }

    /** Built here; {@link #streamsLifecycle} starts it once the service answers HTTP. */
    @Bean(destroyMethod = "close")
    StreamsRuntime streamsRuntime(MeteringStreamsProperties properties, MeteringStreamsProperties.EventRules events, KafkaClients kafka,
                                  PriceBook priceBook) {
        return runtime(properties, events, kafka, priceBook);
    }

    @Bean
    StreamsLifecycle streamsLifecycle(MeteringStreamsProperties properties, KafkaClients kafka, PriceBook priceBook, StreamsRuntime runtime,
                                      ConfigurableApplicationContext context) {
        return new StreamsLifecycle(() -> provisionTopics(properties, kafka, priceBook), runtime, context);
    }

    /** Creates missing topics and seeds the price book, as configured. */
    public static void provisionTopics(MeteringStreamsProperties properties, KafkaClients kafka, PriceBook priceBook) {
        if (properties.createTopics()) {
            TopicProvisioner provisioner = new TopicProvisioner(kafka);
            provisioner.createTopics(properties.partitions(), properties.replicationFactor(), properties.minInsyncReplicas());
            if (properties.seedPriceBook()) {
                provisioner.seedPriceBookIfEmpty(priceBook);
            }
        }
    }

    /** The topology with its Streams configuration, not started: the service and the local launcher alike. */
    public static StreamsRuntime runtime(MeteringStreamsProperties properties, MeteringStreamsProperties.EventRules events, KafkaClients kafka,
                                         PriceBook priceBook) {
        return new StreamsRuntime(MeteringTopology.build(properties.topology().toSettings(events), priceBook),
                StreamsConfigFactory.create(kafka, properties));
    }

    @Bean
    StreamsHealthIndicator streamsHealthIndicator(StreamsRuntime runtime) {
        return new StreamsHealthIndicator(runtime);
    }

    /**
     * Kafka Streams tags the RocksDB metrics of key-value stores {@code rocksdb.state.id} and those of window
     * stores (the dedupe store) {@code rocksdb.window.state.id}. Prometheus takes one set of tag keys per metric
     * name, so every RocksDB metric of the dedupe store (its size, block cache, compactions: the largest state
     * of the topology) was dropped with a warning. One key for both; the store names tell them apart.
     */
    @Bean
    static MeterFilter oneTagKeyForEveryStateStore() {
        return MeterFilter.renameTag("kafka.stream.state", "rocksdb.window.state.id", "rocksdb.state.id");
    }

    @Bean(destroyMethod = "close")
    KafkaStreamsMetrics kafkaStreamsMetrics(StreamsRuntime runtime, MeterRegistry registry) {
        KafkaStreamsMetrics metrics = new RefreshedStreamsMetrics(runtime.streams());
        metrics.bindTo(registry);
        FunctionCounter.builder("metering.streams.threads.replaced", runtime, StreamsRuntime::threadsReplaced)
                .description("stream threads that died and were replaced; 0 unless something is wrong").register(registry);
        return metrics;
    }

    /**
     * Kafka adds the processors' sensors (events priced, dead-lettered...) after the streams start, and Micrometer
     * finds new metrics only when it refreshes: once a minute by default, so dashboards showed them a minute after
     * every start. Every 15 s instead, on a thread of its own that closing stops.
     */
    private static final class RefreshedStreamsMetrics extends KafkaStreamsMetrics {
        private static final Duration REFRESH = Duration.ofSeconds(15);
        private final ScheduledExecutorService refresh;

        RefreshedStreamsMetrics(KafkaStreams streams) {
            this(streams, Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "streams-metrics-refresh");
                thread.setDaemon(true);
                return thread;
            }));
        }

        private RefreshedStreamsMetrics(KafkaStreams streams, ScheduledExecutorService refresh) {
            super(streams, List.of(), refresh, REFRESH);
            this.refresh = refresh;
        }

        @Override
        public void close() {
            super.close();
            refresh.shutdownNow();
        }
    }
}
