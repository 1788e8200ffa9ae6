package io.llmmetering.local.faults;

import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.schemas.pricing.PriceBookRecords;
import io.llmmetering.testsupport.PayloadMutator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The money path under hostile input, end to end: a seeded run publishes hostile events both through usage-ingest's
 * HTTP front door and straight onto {@code usage.events} as a proxy's own producer could (NUL and other control
 * characters in every text field, huge token counts, times far in the past and future, unknown models, a price at
 * its bound times the largest call, bytes that are not Avro, a wrong key), mixed with a proxy fleet's good traffic.
 * Every good event is charged exactly, every hostile one is refused by ingest or dead-lettered with a reason, never
 * charged; the lag of the topology and of the appliers returns to zero and no stream thread was replaced.
 * {@code -Pfuzz} sends 100,000 hostile events; the suite a few thousand.
 */
@Tag("integration")
@Tag("reliability")
@Tag("fuzz")
class PipelineFuzzTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final MessageCodec<UsageEvent> EVENTS = MessageCodec.of(UsageEvent.class);
    private static final String DEAREST = "fuzz-dearest";
    private static final List<String> TEXT_FIELDS = List.of("event_id", "user_id", "model", "provider", "source", "power_level",
            "metadata_key", "metadata_value");
    private static final List<String> CONTROL = List.of("\u0000", "\u0001", "\n", "\r", "\u001b", "\u007f", "\u0085");

    @Test
    void hostileEventsThroughEveryDoorAreRefusedOrDeadLetteredAndNeverStopTheMoney(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir)
            throws Exception {
        PayloadMutator seeded = PayloadMutator.fromSystemProperty("pipeline");
        int hostile = PayloadMutator.payloads(2_000);
        Random random = seeded.payload(0);
        try (ProcessPipeline pipeline = new ProcessPipeline(dir).start()) {
            publishTheDearestPrice(pipeline);
            ProxyFleet fleet = new ProxyFleet(pipeline, "fuzz", 100, Math.max(2_000, hostile / 4), 0, seeded.seed());
            LedgerInvariants invariants = new LedgerInvariants(pipeline, fleet);
            Thread publishing = fleet.startInBackground();

            Set<String> straightToKafka = new HashSet<>();
            Map<String, Integer> refusedByIngest = new TreeMap<>();
            Set<String> acceptedByIngest = new HashSet<>();
            try (KafkaProducer<String, byte[]> producer = pipeline.kafka().producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 20),
                    Map.of(ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
                List<String> batch = new ArrayList<>();
                for (int i = 0; i < hostile; i++) {
                    String id = "hostile-" + i;
                    if (i % 2 == 0) {
                        ProducerRecord<String, byte[]> record = hostileRecord(id, random);
                        producer.send(record);
                        straightToKafka.add(record.key());
                    } else {
                        batch.add(hostileJson(id, random));
                        if (batch.size() == 50) {
                            ingest(pipeline, batch, refusedByIngest, acceptedByIngest);
                            batch.clear();
                        }
                    }
                }
                if (!batch.isEmpty()) {
                    ingest(pipeline, batch, refusedByIngest, acceptedByIngest);
                }
                producer.flush();
            }
            fleet.awaitPublished(publishing);

            List<String> discrepancies = invariants.check(Duration.ofMinutes(5));
            Map<String, Integer> deadLetteredByReason = new TreeMap<>();
            Set<String> deadLettered = new HashSet<>();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                deadLettered.clear();
                deadLetteredByReason.clear();
                for (ConsumerRecord<byte[], byte[]> letter : LedgerInvariants.readAll(pipeline, Topics.USAGE_EVENTS_DLQ)) {
                    String key = letter.key() == null ? "" : new String(letter.key(), java.nio.charset.StandardCharsets.UTF_8);
                    String hostileId = key.startsWith("hostile-") ? key : eventId(letter.value());
                    if (hostileId != null && hostileId.startsWith("hostile-")) {
                        deadLettered.add(key.startsWith("hostile-") ? key : hostileId);
                        deadLetteredByReason.merge(LedgerInvariants.reason(letter), 1, Integer::sum);
                    }
                }
                return deadLettered.containsAll(straightToKafka) && deadLettered.containsAll(acceptedByIngest);
            });
            long charged = count(pipeline, "SELECT count(*) FROM usage_events WHERE event_id LIKE 'hostile-%' OR user_id LIKE 'hostile-%'");
            String streamsMetrics = pipeline.streams.metrics();
            Map<String, Long> lag = lag(pipeline);

            System.out.printf("[fuzz] pipeline seed %d: hostile events %,d (straight to Kafka %,d, through HTTP %,d: refused %s, accepted %,d),"
                            + " dead-lettered %,d by reason %s, hostile charged %d; good events %,d charged, discrepancies %d;"
                            + " lag after %s; stream threads replaced %s%n",
                    seeded.seed(), hostile, straightToKafka.size(), hostile - straightToKafka.size(), refusedByIngest, acceptedByIngest.size(),
                    deadLettered.size(), deadLetteredByReason, charged, fleet.uniqueEventIds.size(), discrepancies.size(), lag,
                    threadsReplaced(streamsMetrics));
            assertThat(discrepancies).as(pipeline.logs()).isEmpty();
            assertThat(charged).as("hostile events charged").isZero();
            assertThat(lag.values()).as("lag of the topology and the appliers").allMatch(records -> records == 0);
            assertThat(threadsReplaced(streamsMetrics)).isEqualTo("0.0");
        }
    }

    /** A price at the bound every path allows: times the largest call a rule lets through, past a debit's long. */
    private static void publishTheDearestPrice(ProcessPipeline pipeline) throws Exception {
        PricedModel dearest = PricedModel.of(DEAREST, "fuzz", PricedModel.MAX_RATE_PER_1K, PricedModel.MAX_RATE_PER_1K);
        try (KafkaProducer<String, io.llmmetering.schemas.ModelPrice> producer = pipeline.kafka().producer(Map.of(), Map.of(),
                new StringSerializer(), AvroSerde.of(io.llmmetering.schemas.ModelPrice.class).serializer())) {
            producer.send(new ProducerRecord<>(Topics.PRICING_MODELS, DEAREST, PriceBookRecords.of(dearest, List.of(), "fuzz-bound", Instant.now())))
                    .get(30, TimeUnit.SECONDS);
        }
        Thread.sleep(3_000); // the topology's global price store follows the topic
    }

    /** One hostile record for usage.events, keyed by its id so its dead letter can be found whatever its bytes. */
    private static ProducerRecord<String, byte[]> hostileRecord(String id, Random random) {
        int kind = random.nextInt(8);
        if (kind == 0) {
            byte[] garbage = new byte[1 + random.nextInt(200)];
            random.nextBytes(garbage);
            return new ProducerRecord<>(Topics.USAGE_EVENTS, id, garbage);
        }
        UsageEvent.Builder event = UsageEvent.newBuilder().setEventId(id).setUserId(id).setProvider("fuzz").setModel("gpt-4o")
                .setInputTokens(1_000).setOutputTokens(100).setOccurredAt(Instant.now()).setMetadata(Map.of()).setSource("fuzz");
        switch (kind) {
            case 1 -> poison(event, TEXT_FIELDS.get(random.nextInt(TEXT_FIELDS.size())), CONTROL.get(random.nextInt(CONTROL.size())));
            case 2 -> event.setInputTokens(1L << (37 + random.nextInt(20)));
            case 3 -> event.setOccurredAt(random.nextBoolean() ? Instant.parse("1970-01-02T00:00:00Z") : Instant.parse("3000-01-01T00:00:00Z"));
            case 4 -> event.setModel("no-such-model-" + random.nextInt(5));
            case 5 -> event.setModel(DEAREST).setInputTokens(100_000_000).setOutputTokens(100_000_000);
            case 6 -> {
                Map<String, String> many = new HashMap<>();
                for (int i = 0; i <= 64; i++) {
                    many.put("k" + i, "v");
                }
                event.setMetadata(many);
            }
            default -> {
                return new ProducerRecord<>(Topics.USAGE_EVENTS, id, EVENTS.encode(event.setUserId(id + "-other-user").build()));
            }
        }
        UsageEvent built = event.build();
        return new ProducerRecord<>(Topics.USAGE_EVENTS, id, EVENTS.encode(built));
    }

    private static void poison(UsageEvent.Builder event, String field, String control) {
        switch (field) {
            case "event_id" -> event.setEventId(event.getEventId() + control);
            case "user_id" -> event.setUserId(event.getUserId() + control);
            case "model" -> event.setModel("gpt-4o" + control);
            case "provider" -> event.setProvider("fuzz" + control);
            case "source" -> event.setSource("a" + control + "b");
            case "power_level" -> event.setPowerLevel("balanced" + control);
            case "metadata_key" -> event.setMetadata(Map.of("team" + control, "x"));
            default -> event.setMetadata(Map.of("team", "x" + control));
        }
    }

    /** One hostile native JSON event for ingest: each breaks a rule ingest checks, or only the topology can judge it. */
    private static String hostileJson(String id, Random random) {
        String control = "\\u00" + String.format("%02x", List.of(0, 1, 10, 13, 27, 31).get(random.nextInt(6)));
        String user = "\"" + id + "\"";
        return switch (random.nextInt(7)) {
            case 0 -> event(id, user, "\"gpt-4o\"", "1000", ",\"source\":\"a" + control + "b\"");
            case 1 -> event(id, user, "\"gpt-4o\"", "1000", ",\"metadata\":{\"team\":\"x" + control + "\"}");
            case 2 -> event(id, "\"" + id + control + "\"", "\"gpt-4o\"", "1000", "");
            case 3 -> event(id, user, "\"gpt-4o\"", "100000000000", "");
            case 4 -> event(id, user, "\"gpt-4o\"", "1000", ",\"occurred_at\":\"" + (random.nextBoolean() ? "1999-01-01T00:00:00Z" : "2999-01-01T00:00:00Z") + "\"");
            case 5 -> event(id, user, "\"no-such-model-http\"", "1000", "");
            default -> event(id, user, "\"" + DEAREST + "\"", "100000000", ",\"output_tokens\":100000000");
        };
    }

    private static String event(String id, String user, String model, String input, String extra) {
        return "{\"event_id\":\"" + id + "\",\"user_id\":" + user + ",\"provider\":\"fuzz\",\"model\":" + model + ",\"input_tokens\":"
                + input + extra + "}";
    }

    /** Sends a batch; what ingest refused is counted by reason, what it accepted must reach a dead-letter topic. */
    private static void ingest(ProcessPipeline pipeline, List<String> batch, Map<String, Integer> refused, Set<String> accepted) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(pipeline.ingestBase() + "/api/v1/usage/events"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + pipeline.ingestKey())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("[" + String.join(",", batch) + "]")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isIn(202, 400);
        JsonNode body = JSON.readTree(answer.body());
        Set<Integer> refusedIndexes = new HashSet<>();
        for (JsonNode rejection : body.get("rejected")) {
            refused.merge(rejection.get("reason").asString(), 1, Integer::sum);
            refusedIndexes.add(rejection.get("index").asInt());
        }
        for (int i = 0; i < batch.size(); i++) {
            if (!refusedIndexes.contains(i)) {
                accepted.add(JSON.readTree(batch.get(i)).get("event_id").asString());
            }
        }
    }

    private static String eventId(byte[] value) {
        try {
            return EVENTS.decode(value).getEventId().toString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Records not yet processed: the topology's on usage.events (its group's committed offsets; the producers there
     * are not transactional, so the end is the last record), the appliers' as they report it on credit.debits
     * ({@code credit_applier_partition_lag}: past the transaction markers a committed offset stops before).
     */
    private static Map<String, Long> lag(ProcessPipeline pipeline) throws Exception {
        Map<String, Long> lag = new TreeMap<>();
        try (Admin admin = pipeline.kafka().admin(Map.of())) {
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                lag.put("metering-streams", topologyLag(admin));
                lag.put("credit-api-debit-applier", pipeline.api.metrics().lines().filter(line -> line.startsWith("credit_applier_partition_lag{"))
                        .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum());
                return lag.values().stream().allMatch(records -> records == 0);
            });
        }
        return lag;
    }

    private static long topologyLag(Admin admin) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("metering-streams").partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        admin.describeTopics(List.of(Topics.USAGE_EVENTS)).allTopicNames().get().get(Topics.USAGE_EVENTS).partitions()
                .forEach(p -> latest.put(new TopicPartition(Topics.USAGE_EVENTS, p.partition()), OffsetSpec.latest()));
        long total = 0;
        for (var end : admin.listOffsets(latest).all().get().entrySet()) {
            OffsetAndMetadata at = committed.get(end.getKey());
            total += Math.max(0, end.getValue().offset() - (at == null ? 0 : at.offset()));
        }
        return total;
    }

    private static String threadsReplaced(String metrics) {
        return metrics.lines().filter(line -> line.startsWith("metering_streams_threads_replaced_total"))
                .map(line -> line.substring(line.lastIndexOf(' ') + 1)).findFirst().orElse("absent");
    }

    private static long count(ProcessPipeline pipeline, String sql) throws Exception {
        try (Connection c = pipeline.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
