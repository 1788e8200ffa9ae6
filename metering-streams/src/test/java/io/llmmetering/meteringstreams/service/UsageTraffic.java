package io.llmmetering.meteringstreams.service;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import org.awaitility.Awaitility;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * Synthetic proxy traffic for integration tests: unique events over many users and models, a share of them
 * published twice, and the exact charge each user should end up with.
 */
final class UsageTraffic {

    final List<UsageEvent> unique = new ArrayList<>();
    final List<UsageEvent> published = new ArrayList<>();
    final Map<String, Long> expectedNanosByUser = new HashMap<>();

    UsageTraffic(PriceBook book, int uniqueEvents, int users, double duplicateShare, long seed) {
        Random random = new Random(seed);
        List<PricedModel> models = List.copyOf(book.models());
        CostCalculator calculator = new CostCalculator(book);
        Instant start = Instant.now().minus(Duration.ofMinutes(30));
        // 10 ms apart, closer when that would reach past now and the topology would refuse them as from the future
        long spacingMicros = Math.min(10_000, Duration.ofMinutes(29).toNanos() / 1_000 / Math.max(1, uniqueEvents));
        for (int i = 0; i < uniqueEvents; i++) {
            String user = "user-" + random.nextInt(users) + "@example.com";
            PricedModel model = models.get(random.nextInt(models.size()));
            long input = 1 + random.nextInt(8000);
            long output = random.nextInt(2000);
            UsageEvent event = UsageEvent.newBuilder().setEventId(new UUID(seed, i).toString()).setUserId(user)
                    .setProvider(model.provider()).setModel(model.model()).setInputTokens(input).setOutputTokens(output)
                    .setOccurredAt(start.plus(i * spacingMicros, ChronoUnit.MICROS)).setSource("it").build();
            unique.add(event);
            published.add(event);
            if (random.nextDouble() < duplicateShare) {
                published.add(event);
            }
            long cost = calculator.costOfUsage(model.model(), TokenUsage.of(input, output), null, null).nanos();
            expectedNanosByUser.merge(user, cost, Math::addExact);
        }
        java.util.Collections.shuffle(published.subList(0, published.size()), random);
    }

    long expectedTotalNanos() {
        return expectedNanosByUser.values().stream().mapToLong(Long::longValue).sum();
    }

    static void publish(String bootstrapServers, List<UsageEvent> events) {
        try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), AvroSerde.of(UsageEvent.class).serializer())) {
            for (UsageEvent event : events) {
                producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS, null, event.getOccurredAt().toEpochMilli(), event.getUserId(), event));
            }
            producer.flush();
        }
    }

    /** Reads committed debits until {@code expected} have arrived or {@code timeout} passes, then a little longer for strays. */
    static List<Debit> readCommittedDebits(String bootstrapServers, int expected, Duration timeout) {
        List<Debit> debits = new ArrayList<>();
        try (KafkaConsumer<String, Debit> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), AvroSerde.of(Debit.class).deserializer())) {
            consumer.subscribe(List.of(Topics.CREDIT_DEBITS));
            try {
                Awaitility.await().atMost(timeout).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(record -> debits.add(record.value()));
                    return debits.size() >= expected;
                });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // fewer than expected: the caller's check of the debits says which are missing
            }
            long strays = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < strays) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> debits.add(record.value()));
            }
        }
        return debits;
    }

    static Map<String, Long> sumByUser(List<Debit> debits) {
        Map<String, Long> sums = new HashMap<>();
        debits.forEach(debit -> sums.merge(debit.getUserId(), debit.getAmountNanos(), Math::addExact));
        return sums;
    }

    static String credits(long nanos) {
        return Credits.ofNanos(nanos).toString();
    }
}
