package io.llmmetering.creditapi.applier;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceReader;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.TopicDefinitions;
import io.llmmetering.schemas.Topics;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.RedisExtension;
import io.llmmetering.testsupport.TestDatabase;
import io.llmmetering.testsupport.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import io.llmmetering.schemas.client.KafkaClients;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The applier on the real broker, PostgreSQL and Redis: exactly once into the ledger, through crashes and outages. */
@Tag("integration")
@ExtendWith({PostgresDatabaseExtension.class, RedisExtension.class})
class DebitApplierIntegrationTest {

    private EmbeddedKafkaBroker broker;
    private DataSource dataSource;
    private TestRedis redis;
    private final List<Thread> threads = new ArrayList<>();
    private final List<DebitApplier> appliers = new ArrayList<>();

    @BeforeEach
    void setUp(TestDatabase database, TestRedis redis) throws SQLException {
        broker = EmbeddedKafkaBroker.builder().build().start();
        broker.createTopics(TopicDefinitions.all(4, (short) 1));
        this.redis = redis;
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        }
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        dataSource = database.dataSource();
        // a fresh ledger starts balance versions at 0 again: the cache of the previous one must go with it
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().flushdb();
        } finally {
            client.shutdown();
        }
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        appliers.forEach(DebitApplier::close);
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        broker.close();
    }

    private ApplierSettings settings(int batchSize, Duration retryBackoff) {
        ApplierSettings defaults = ApplierSettings.defaults();
        return new ApplierSettings(defaults.consumerGroup(), batchSize,
                Duration.ofMillis(20), retryBackoff, defaults.lowBalanceThresholds(), defaults.defaultLowBalance(), defaults.spikes());
    }

    private DebitApplier start(BatchApplier batchApplier, BalanceCache cache, int batchSize) {
        DebitApplier applier = new DebitApplier(KafkaClients.plaintext(broker.bootstrapServers()), settings(batchSize, Duration.ofMillis(200)), batchApplier, cache, new SimpleMeterRegistry(),
                ApplierMonitoring.of(new SimpleMeterRegistry(), Duration.ofSeconds(60)));
        Thread thread = new Thread(applier, "debit-applier-test");
        thread.start();
        threads.add(thread);
        appliers.add(applier);
        return applier;
    }

    private BalanceCache cache() {
        return new BalanceCache(redis.uri(), Duration.ofSeconds(60), new SimpleMeterRegistry());
    }

    /** Debits as the topology writes them: transactionally; plus one aborted transaction that must never be charged. */
    private Map<String, Long> publishDebits(int count, int users, long seed) {
        Random random = new Random(seed);
        Map<String, Long> expected = new HashMap<>();
        Instant t0 = Instant.parse("2026-11-20T08:00:00Z");
        try (KafkaProducer<String, Debit> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-topology-" + seed),
                new StringSerializer(), AvroSerde.of(Debit.class).serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < count; i++) {
                String user = "applier-" + random.nextInt(users) + "@example.com";
                long nanos = random.nextInt(20_000_000);
                Debit debit = Debit.newBuilder().setEventId(seed + "-" + i).setUserId(user).setAmountNanos(nanos).setModel("gpt-4o")
                        .setProvider("openai").setInputTokens(100).setOutputTokens(10).setPowerLevel("balanced").setTier("free")
                        .setOccurredAt(t0.plusMillis(i)).setPricedAt(t0.plusMillis(i + 3)).setPriceVersion("v1").build();
                producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, user, debit));
                expected.merge(user, nanos, Long::sum);
                if (i % 1000 == 999) {
                    producer.commitTransaction();
                    producer.beginTransaction();
                }
            }
            producer.commitTransaction();
            producer.beginTransaction();
            Debit aborted = Debit.newBuilder().setEventId("aborted-" + seed).setUserId("aborted@example.com").setAmountNanos(999_000_000_000L)
                    .setModel("o1").setProvider("openai").setInputTokens(1).setOutputTokens(1).setPowerLevel("balanced").setTier("free")
                    .setOccurredAt(t0).setPricedAt(t0).setPriceVersion("v1").build();
            producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, "aborted@example.com", aborted));
            producer.flush();
            producer.abortTransaction();
        }
        return expected;
    }

    private void publishRaw(String key, byte[] value) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, key, value));
            producer.flush();
        }
    }

    private void startThread(DebitApplier applier) {
        Thread thread = new Thread(applier, "debit-applier-test");
        thread.start();
        threads.add(thread);
        appliers.add(applier);
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private void publishPoison() {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, "poison@example.com", "not a debit".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }
    }

    @Test
    void everyCommittedDebitIsAppliedOnceAndBalancesReachRedis() throws Exception {
        Map<String, Long> expected = publishDebits(5_000, 200, 1);
        publishPoison();
        start(new BatchApplier(dataSource, "credit-api-debit-applier"), cache(), 1_000);

        awaitUsageEvents(5_000);
        assertLedgerMatches(expected);
        assertThat(count("SELECT count(*) FROM user_credits WHERE user_id = 'aborted@example.com'")).isZero();

        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            String someUser = expected.keySet().iterator().next();
            assertThat(Credits.parse(connection.sync().get("credits:balance:" + someUser))).isEqualTo(Credits.ofNanos(-expected.get(someUser)));
            assertThat(connection.sync().ttl("credits:balance:" + someUser)).isBetween(1L, 60L);
        } finally {
            client.shutdown();
        }

        ConsumerRecord<String, byte[]> letter = readOne(Topics.CREDIT_DEBITS_DLQ);
        assertThat(new String(letter.value(), StandardCharsets.UTF_8)).isEqualTo("not a debit");
        assertThat(new String(letter.headers().lastHeader("dlq.reason").value(), StandardCharsets.UTF_8)).isEqualTo("bad_header");
    }

    /**
     * The applier that committed the last batches died before their balances reached Redis (here: Redis was away
     * until it stopped): its successor refreshes those users from PostgreSQL on taking the partitions, although
     * none of them spends again. Before, they kept the stale balance until the TTL.
     */
    @Test
    @Tag("reliability")
    void balancesCommittedButNeverCachedAreRefreshedByTheNextOwnerOfThePartitions() throws Exception {
        Map<String, Long> first = publishDebits(1_000, 40, 7);
        DebitApplier warm = start(new BatchApplier(dataSource, "credit-api-debit-applier"), cache(), 500);
        awaitUsageEvents(1_000);
        warm.close();
        threads.get(0).join(10_000);
        Map<String, Long> both = new HashMap<>(first);
        publishDebits(1_000, 40, 8).forEach((user, nanos) -> both.merge(user, nanos, Long::sum));
        BalanceCache deadRedis = new BalanceCache("redis://127.0.0.1:1", Duration.ofSeconds(60), new SimpleMeterRegistry());
        DebitApplier blind = start(new BatchApplier(dataSource, "credit-api-debit-applier"), deadRedis, 500);
        awaitUsageEvents(2_000);
        blind.close();
        threads.get(1).join(10_000);
        assertLedgerMatches(both);
        assertThat(count("SELECT count(*) FROM applier_cache_pending")).isPositive();

        start(new BatchApplier(dataSource, "credit-api-debit-applier"), cache(), 500);
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<String, Long> cached = new HashMap<>();
                for (String user : both.keySet()) {
                    String value = connection.sync().get(BalanceCache.key(user));
                    cached.put(user, value == null ? null : -Credits.parse(value).nanos());
                }
                assertThat(cached).isEqualTo(both);
            });
        } finally {
            client.shutdown();
        }
        // The notes are forgotten only after Redis took their balances, so they may outlive the cached values briefly.
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(count("SELECT count(*) FROM applier_cache_pending")).isZero());
    }

    /** A dead letter that cannot be sent used to end the applier's thread for good, with health still UP. */
    @Test
    @Tag("reliability")
    void aDeadLetterThatCannotBeSentIsRetriedAndTheApplierLivesOn() throws Exception {
        publishPoison();
        Map<String, Long> expected = publishDebits(2_000, 50, 5);
        AtomicInteger refusals = new AtomicInteger(3);
        List<String> sentToDlq = java.util.Collections.synchronizedList(new ArrayList<>());
        KafkaProducer<String, byte[]> real = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
        MockProducer<String, byte[]> flakyDlq = new MockProducer<>(true, null, new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer()) {
            @Override
            public synchronized java.util.concurrent.Future<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
                if (record.topic().equals(Topics.CREDIT_DEBITS_DLQ) && refusals.getAndDecrement() > 0) {
                    return java.util.concurrent.CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TimeoutException("broker away"));
                }
                if (record.topic().equals(Topics.CREDIT_DEBITS_DLQ)) {
                    sentToDlq.add(new String(record.value(), StandardCharsets.UTF_8));
                }
                return real.send(record);
            }
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DebitApplier applier = new DebitApplier(KafkaClients.plaintext(broker.bootstrapServers()), settings(500, Duration.ofMillis(100)), new BatchApplier(dataSource, "credit-api-debit-applier"), cache(), registry,
                ApplierMonitoring.of(registry, Duration.ofSeconds(60)), flakyDlq);
        Thread thread = new Thread(applier, "debit-applier-flaky-dlq");
        thread.start();
        threads.add(thread);
        appliers.add(applier);
        try {
            awaitUsageEvents(2_000);
            assertLedgerMatches(expected);
            assertThat(thread.isAlive()).isTrue();
            assertThat(applier.healthy()).isTrue();
            assertThat(sentToDlq).containsExactly("not a debit");
            assertThat(registry.counter("credit.applier.batches.failed").count()).isEqualTo(3);
            assertThat(new String(readOne(Topics.CREDIT_DEBITS_DLQ).value(), StandardCharsets.UTF_8)).isEqualTo("not a debit");
        } finally {
            applier.close();
            thread.join(10_000);
            real.close();
        }
    }

    /**
     * A debit with a NUL in its source reached the usage_events row, PostgreSQL refused the whole batch (22021)
     * and the applier re-read it forever: no later debit of the partition was charged and health said UP.
     */
    @Test
    @Tag("reliability")
    void aDebitPostgresRefusesIsDeadLetteredAndEveryOtherDebitOfItsBatchIsCharged() throws Exception {
        Map<String, Long> before = publishDebits(1_000, 20, 11);
        publishRaw("refused@example.com", AvroSerde.of(Debit.class).serializer().serialize(Topics.CREDIT_DEBITS,
                Debit.newBuilder().setEventId("nul-source").setUserId("refused@example.com").setAmountNanos(5_000_000).setModel("gpt-4o")
                        .setProvider("openai").setInputTokens(1).setOutputTokens(1).setPowerLevel("balanced").setTier("free")
                        .setOccurredAt(Instant.parse("2026-11-20T08:00:00Z")).setPricedAt(Instant.parse("2026-11-20T08:00:01Z"))
                        .setPriceVersion("v1").setSource("a\u0000b").build()));
        Map<String, Long> expected = new HashMap<>(before);
        publishDebits(1_000, 20, 12).forEach((user, nanos) -> expected.merge(user, nanos, Long::sum));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DebitApplier applier = new DebitApplier(KafkaClients.plaintext(broker.bootstrapServers()), settings(5_000, Duration.ofMillis(200)), new BatchApplier(dataSource, "credit-api-debit-applier"),
                cache(), registry, ApplierMonitoring.of(registry, Duration.ofSeconds(60)));
        startThread(applier);

        awaitUsageEvents(2_000);
        assertLedgerMatches(expected);
        ConsumerRecord<String, byte[]> letter = readOne(Topics.CREDIT_DEBITS_DLQ);
        assertThat(letter.key()).isEqualTo("refused@example.com");
        assertThat(header(letter, "dlq.reason")).isEqualTo("refused_by_database");
        assertThat(header(letter, "dlq.error")).startsWith("SQLSTATE 22");
        assertThat(registry.counter("credit.applier.debits.dead_lettered").count()).isEqualTo(1);
        assertThat(applier.healthy()).isTrue();
        assertThat(applier.stalledPartitions()).isEmpty();
    }

    /** An outage is retried, never dead-lettered; while the partition cannot move and has lag it is reported by number. */
    @Test
    @Tag("reliability")
    void aPartitionThatCannotBeAppliedWhileItsLagGrowsIsReportedStalledUntilItMovesAgain() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean databaseAway = new java.util.concurrent.atomic.AtomicBoolean(true);
        BatchApplier unreachable = new BatchApplier(dataSource, "credit-api-debit-applier", () -> {
            if (databaseAway.get()) {
                throw new IllegalStateException(new SQLException("connection lost", "08006"));
            }
        });
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DebitApplier applier = new DebitApplier(KafkaClients.plaintext(broker.bootstrapServers()), settings(500, Duration.ofMillis(100)), unreachable, cache(), registry,
                ApplierMonitoring.of(registry, Duration.ofSeconds(2)));
        startThread(applier);
        Map<String, Long> expected = publishDebits(400, 1, 13);

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !applier.stalledPartitions().isEmpty());
        int stalled = applier.stalledPartitions().get(0);
        assertThat(registry.get("credit.applier.partition.stalled").tag("partition", Integer.toString(stalled)).gauge().value()).isEqualTo(1.0);
        assertThat(count("SELECT count(*) FROM usage_events")).isZero();
        assertThat(registry.counter("credit.applier.debits.dead_lettered").count()).isZero();

        databaseAway.set(false);
        awaitUsageEvents(400);
        assertLedgerMatches(expected);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> applier.stalledPartitions().isEmpty());
        assertThat(registry.get("credit.applier.partition.stalled").tag("partition", Integer.toString(stalled)).gauge().value()).isZero();
    }

    @Test
    @Tag("reliability")
    void batchesThatFailInsideTheTransactionAreRetriedAndAppliedOnce() throws Exception {
        Map<String, Long> expected = publishDebits(4_000, 100, 2);
        AtomicInteger batches = new AtomicInteger();
        BatchApplier flaky = new BatchApplier(dataSource, "credit-api-debit-applier", () -> {
            if (batches.incrementAndGet() % 3 == 0) {
                throw new IllegalStateException("simulated crash inside the transaction");
            }
        });
        start(flaky, cache(), 500);
        awaitUsageEvents(4_000);
        assertLedgerMatches(expected);
        assertThat(batches.get()).isGreaterThan(8);
    }

    @Test
    @Tag("reliability")
    void anApplierStoppedMidStreamWithoutCommittingAnythingIsReplacedWithoutLossOrDoubleCharge() throws Exception {
        Map<String, Long> expected = publishDebits(6_000, 150, 3);
        DebitApplier first = start(new BatchApplier(dataSource, "credit-api-debit-applier"), cache(), 200);
        awaitUsageEventsAtLeast(1_000);
        first.close(); // whatever it had polled but not applied is simply gone
        threads.get(0).join(10_000);

        start(new BatchApplier(dataSource, "credit-api-debit-applier"), cache(), 200);
        awaitUsageEvents(6_000);
        assertLedgerMatches(expected);
    }

    @Test
    void withRedisDownTheApplierKeepsApplyingAndReadsFallBackToPostgres() throws Exception {
        Map<String, Long> expected = publishDebits(2_000, 50, 4);
        BalanceCache deadRedis = new BalanceCache("redis://127.0.0.1:1", Duration.ofSeconds(60), new SimpleMeterRegistry());
        start(new BatchApplier(dataSource, "credit-api-debit-applier"), deadRedis, 500);
        awaitUsageEvents(2_000);
        assertLedgerMatches(expected);

        BalanceReader reader = new BalanceReader(dataSource, deadRedis, new SimpleMeterRegistry());
        String user = expected.keySet().iterator().next();
        assertThat(reader.balanceOf(user)).isEqualTo(Credits.ofNanos(-expected.get(user)));
        assertThat(reader.balanceOf("nobody@example.com")).isEqualTo(Credits.ZERO);
    }

    /** Reliability scenario 5: PostgreSQL drops the applier's connection in the middle of batches, again and again. */
    @Test
    @Tag("reliability")
    void batchesWhoseDatabaseConnectionIsKilledMidTransactionAreRetriedAndAppliedOnce() throws Exception {
        Map<String, Long> expected = publishDebits(10_000, 200, 5);
        start(new BatchApplier(dataSource, "credit-api-debit-applier"), cache(), 500);
        AtomicInteger terminated = new AtomicInteger();
        long until = System.nanoTime() + java.time.Duration.ofSeconds(6).toNanos();
        try (Connection killer = dataSource.getConnection(); Statement s = killer.createStatement()) {
            while (System.nanoTime() < until && count("SELECT count(*) FROM usage_events") < 10_000) {
                // only backends inside a ledger statement: the kill lands mid-batch, between BEGIN and COMMIT
                try (ResultSet r = s.executeQuery("""
                        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')
                           AND (query ILIKE '%usage_events%' OR query ILIKE '%user_credits%' OR query ILIKE '%credit_transactions%')
                        """)) {
                    r.next();
                    terminated.addAndGet(r.getInt(1));
                }
                Thread.sleep(40);
            }
        }
        awaitUsageEvents(10_000);
        assertLedgerMatches(expected);
        System.out.println("[reliability] scenario 5: backends terminated mid-batch " + terminated.get() + ", events 10000, discrepancies 0");
        assertThat(terminated.get()).isPositive();
    }

    private void assertLedgerMatches(Map<String, Long> expected) throws SQLException {
        Map<String, Long> balances = new HashMap<>();
        Map<String, Long> transactions = new HashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT user_id, balance FROM user_credits")) {
                while (r.next()) {
                    balances.put(r.getString(1), Credits.ofExact(r.getBigDecimal(2)).nanos());
                }
            }
            try (ResultSet r = s.executeQuery("SELECT user_id, sum(amount) FROM credit_transactions GROUP BY user_id")) {
                while (r.next()) {
                    transactions.put(r.getString(1), Credits.ofExact(r.getBigDecimal(2)).nanos());
                }
            }
        }
        Map<String, Long> expectedBalances = new HashMap<>();
        expected.forEach((user, nanos) -> expectedBalances.put(user, -nanos));
        assertThat(balances).isEqualTo(expectedBalances);
        assertThat(transactions).isEqualTo(expectedBalances);
    }

    private void awaitUsageEvents(long expected) {
        awaitUsageEventsAtLeast(expected);
        // anything beyond the expected count would be a double charge: the count must hold for a while
        Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(count("SELECT count(*) FROM usage_events")).isEqualTo(expected));
    }

    private void awaitUsageEventsAtLeast(long expected) {
        Awaitility.await().atMost(Duration.ofSeconds(90))
                .untilAsserted(() -> assertThat(count("SELECT count(*) FROM usage_events")).isGreaterThanOrEqualTo(expected));
    }

    private long count(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private ConsumerRecord<String, byte[]> readOne(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "read-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, byte[]>> arrived = new ArrayList<>();
            Awaitility.await("a record on " + topic).atMost(Duration.ofSeconds(30)).pollInSameThread().pollDelay(Duration.ZERO)
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(arrived::add);
                        return !arrived.isEmpty();
                    });
            return arrived.get(0);
        }
    }
}
