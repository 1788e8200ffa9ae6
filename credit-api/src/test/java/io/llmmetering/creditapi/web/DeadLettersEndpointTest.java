package io.llmmetering.creditapi.web;

import io.llmmetering.schemas.DeadLetterHeaders;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.Topics;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dead letters an operator can see and replay: records of both dead-letter topics are archived with their headers
 * and decoded event, listed newest first with counts, and replayed unchanged to their source topic exactly once.
 */
@Tag("integration")
class DeadLettersEndpointTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final MessageCodec<UsageEvent> EVENTS = MessageCodec.of(UsageEvent.class);
    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();

    @Test
    void deadLettersAreListedNewestFirstWithTheirHeadersTheirEventAndCountsByReason() throws Exception {
        String model = "unpriced-" + System.nanoTime();
        UsageEvent first = event("e1-" + model, "dl-alice@example.com", model, Instant.parse("2026-12-01T10:00:00Z"));
        UsageEvent second = event("e2-" + model, "dl-bob@example.com", model, Instant.parse("2026-12-01T11:00:00Z"));
        send(Topics.USAGE_EVENTS_DLQ, first, "unknown_model", "no price for model " + model);
        send(Topics.USAGE_EVENTS_DLQ, second, "unknown_model", "no price for model " + model);

        JsonNode page = awaitListing("?model=" + model, letters -> letters.size() == 2);
        JsonNode newest = page.get("dead_letters").get(0);
        assertThat(newest.get("topic").asString()).isEqualTo("usage.events.dlq");
        assertThat(newest.get("reason").asString()).isEqualTo("unknown_model");
        assertThat(newest.get("error").asString()).contains(model);
        assertThat(newest.get("source").get("topic").asString()).isEqualTo("usage.events");
        assertThat(newest.get("source").get("offset").asLong()).isEqualTo(42);
        assertThat(newest.get("processor").asString()).isEqualTo("price-events");
        assertThat(newest.get("event").get("event_id").asString()).isEqualTo(second.getEventId());
        assertThat(newest.get("event").get("user_id").asString()).isEqualTo("dl-bob@example.com");
        assertThat(newest.get("event").get("input_tokens").asLong()).isEqualTo(1000);
        assertThat(newest.get("event").get("occurred_at").asString()).isEqualTo("2026-12-01T11:00:00Z");
        assertThat(newest.get("replayed").isNull()).isTrue();
        assertThat(page.get("counts_by_reason").toString()).contains("{\"reason\":\"unknown_model\",\"total\":2,\"not_replayed\":2}");

        JsonNode firstPage = JSON.readTree(api.get("/api/v1/admin/dead-letters?limit=1&model=" + model, admin).body());
        assertThat(firstPage.get("dead_letters").get(0).get("event").get("event_id").asString()).isEqualTo(second.getEventId());
        String cursor = firstPage.get("next_cursor").asString();
        JsonNode secondPage = JSON.readTree(api.get("/api/v1/admin/dead-letters?limit=1&model=" + model + "&cursor=" + cursor, admin).body());
        assertThat(secondPage.get("dead_letters").get(0).get("event").get("event_id").asString()).isEqualTo(first.getEventId());
        assertThat(secondPage.get("next_cursor").isNull()).isTrue();
    }

    @Test
    void anUndecodableLetterIsListedWithoutAnEvent() throws Exception {
        String reason = "bad_header_" + System.nanoTime();
        byte[] garbage = "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8);
        produce(Topics.USAGE_EVENTS_DLQ, "mallory".getBytes(StandardCharsets.UTF_8), garbage,
                DeadLetterHeaders.of(reason, "not an Avro single-object message", new DeadLetterHeaders.Source("usage.events", 0, 7),
                        "validate-events", System.currentTimeMillis()));
        JsonNode letter = awaitListing("?reason=" + reason, letters -> letters.size() == 1).get("dead_letters").get(0);
        assertThat(letter.get("event").isNull()).isTrue();
        assertThat(letter.get("processor").asString()).isEqualTo("validate-events");
    }

    @Test
    void aReplaySendsTheOriginalRecordsUnchangedToTheirSourceTopicOnceAndRecordsWhoReplayedThem() throws Exception {
        String model = "replayed-" + System.nanoTime();
        List<UsageEvent> events = List.of(
                event("r1-" + model, "dl-carol@example.com", model, Instant.parse("2026-12-01T09:00:00Z")),
                event("r2-" + model, "dl-carol@example.com", model, Instant.parse("2026-12-01T09:01:00Z")));
        for (UsageEvent event : events) {
            send(Topics.USAGE_EVENTS_DLQ, event, "unknown_model", "no price");
        }
        awaitListing("?model=" + model, letters -> letters.size() == 2);
        try (KafkaConsumer<byte[], byte[]> usage = consumerAtTheEndOf(Topics.USAGE_EVENTS)) {
            HttpResponse<String> replayed = api.post("/api/v1/admin/dead-letters/replay", admin,
                    "{\"reason\":\"unknown_model\",\"model\":\"" + model + "\"}");
            assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
            JsonNode result = JSON.readTree(replayed.body());
            assertThat(result.get("replayed").asInt()).isEqualTo(2);
            assertThat(result.get("by_topic").get("usage.events").asInt()).isEqualTo(2);
            assertThat(result.get("more").asBoolean()).isFalse();

            List<ConsumerRecord<byte[], byte[]>> sent = readAtLeast(usage, 2, model);
            assertThat(sent).hasSize(2);
            for (int i = 0; i < 2; i++) {
                assertThat(new String(sent.get(i).key(), StandardCharsets.UTF_8)).isEqualTo("dl-carol@example.com");
                assertThat(sent.get(i).value()).isEqualTo(EVENTS.encode(events.get(i)));
                assertThat(sent.get(i).timestamp()).isEqualTo(events.get(i).getOccurredAt().toEpochMilli());
            }

            JsonNode again = JSON.readTree(api.post("/api/v1/admin/dead-letters/replay", admin,
                    "{\"reason\":\"unknown_model\",\"model\":\"" + model + "\"}").body());
            assertThat(again.get("replayed").asInt()).isZero();
            assertThat(again.get("replay_id").isNull()).isTrue();
            assertThat(readAtLeast(usage, 1, model)).isEmpty();
        }
        JsonNode letters = JSON.readTree(api.get("/api/v1/admin/dead-letters?model=" + model, admin).body());
        for (JsonNode letter : letters.get("dead_letters")) {
            assertThat(letter.get("replayed").get("replayed_by").asString()).isEqualTo("admin@example.com");
        }
        assertThat(letters.get("counts_by_reason").toString()).contains("\"total\":2,\"not_replayed\":0");
        try (var c = api.dataSource().getConnection(); var s = c.createStatement();
             var row = s.executeQuery("SELECT requested_by, records, filter->>'model' FROM dead_letter_replays WHERE filter->>'model' = '" + model + "'")) {
            assertThat(row.next()).isTrue();
            assertThat(row.getString(1)).isEqualTo("admin@example.com");
            assertThat(row.getInt(2)).isEqualTo(2);
            assertThat(row.next()).isFalse();
        }
    }

    /** A replay held up to 10,000 whole records in memory at once; it reads, sends and marks them a page at a time. */
    @Test
    @org.junit.jupiter.api.Tag("reliability")
    void aReplayLargerThanAPageSendsEveryRecordOnceAndCountsThemAll() throws Exception {
        String model = "paged-" + System.nanoTime();
        int letters = 1_201;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                api.broker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < letters; i++) {
                UsageEvent event = event("p" + i + "-" + model, "dl-paged@example.com", model, Instant.parse("2026-12-01T09:00:00Z").plusSeconds(i));
                producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS_DLQ, null, event.getOccurredAt().toEpochMilli(),
                        event.getUserId().getBytes(StandardCharsets.UTF_8), EVENTS.encode(event), DeadLetterHeaders.of("unknown_model", "no price",
                        new DeadLetterHeaders.Source("usage.events", 0, i), "price-events", System.currentTimeMillis())));
            }
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> JSON.readTree(api.get(
                "/api/v1/admin/dead-letters?model=" + model, admin).body()).get("counts_by_reason").toString().contains("\"total\":" + letters));
        try (KafkaConsumer<byte[], byte[]> usage = consumerAtTheEndOf(Topics.USAGE_EVENTS)) {
            JsonNode result = JSON.readTree(api.post("/api/v1/admin/dead-letters/replay", admin,
                    "{\"reason\":\"unknown_model\",\"model\":\"" + model + "\"}").body());
            assertThat(result.get("replayed").asInt()).isEqualTo(letters);
            assertThat(result.get("more").asBoolean()).isFalse();
            List<ConsumerRecord<byte[], byte[]>> sent = readAtLeast(usage, letters, model);
            assertThat(sent.stream().map(r -> Arrays.hashCode(r.value())).distinct().count()).isEqualTo(letters);
        }
        try (var c = api.dataSource().getConnection(); var s = c.createStatement();
             var row = s.executeQuery("SELECT records FROM dead_letter_replays WHERE filter->>'model' = '" + model + "'")) {
            assertThat(row.next()).isTrue();
            assertThat(row.getInt(1)).isEqualTo(letters);
        }
    }

    @Test
    void aReplayByIdsSendsOnlyThoseAndADebitGoesBackToCreditDebits() throws Exception {
        String reason = "invalid_debit_" + System.nanoTime();
        byte[] debitBytes = ("not-a-debit-" + reason).getBytes(StandardCharsets.UTF_8);
        produce(Topics.CREDIT_DEBITS_DLQ, "dl-dave@example.com".getBytes(StandardCharsets.UTF_8), debitBytes,
                DeadLetterHeaders.of(reason, "bad", new DeadLetterHeaders.Source("credit.debits", 1, 3), null, System.currentTimeMillis()));
        produce(Topics.CREDIT_DEBITS_DLQ, "dl-dave@example.com".getBytes(StandardCharsets.UTF_8), debitBytes,
                DeadLetterHeaders.of(reason, "bad", new DeadLetterHeaders.Source("credit.debits", 1, 4), null, System.currentTimeMillis()));
        JsonNode listed = awaitListing("?topic=credit.debits.dlq&reason=" + reason, letters -> letters.size() == 2);
        String id = listed.get("dead_letters").get(1).get("id").asString();

        JsonNode result = JSON.readTree(api.post("/api/v1/admin/dead-letters/replay", admin, "{\"ids\":[\"" + id + "\"]}").body());

        assertThat(result.get("replayed").asInt()).isEqualTo(1);
        assertThat(result.get("by_topic").get("credit.debits").asInt()).isEqualTo(1);
        JsonNode after = JSON.readTree(api.get("/api/v1/admin/dead-letters?reason=" + reason, admin).body());
        assertThat(after.get("dead_letters").get(1).get("replayed").isNull()).isFalse();
        assertThat(after.get("dead_letters").get(0).get("replayed").isNull()).isTrue();
    }

    @Test
    void unknownModelsAreCountedWithFirstAndLastSeenAndWhetherTheyArePricedNow() throws Exception {
        String model = "never-priced-" + System.nanoTime();
        send(Topics.USAGE_EVENTS_DLQ, event("u1-" + model, "dl-erin@example.com", model, Instant.parse("2026-11-30T08:00:00Z")),
                "unknown_model", "no price");
        send(Topics.USAGE_EVENTS_DLQ, event("u2-" + model, "dl-frank@example.com", model, Instant.parse("2026-12-01T08:00:00Z")),
                "unknown_model", "no price");
        send(Topics.USAGE_EVENTS_DLQ, event("u3-gpt", "dl-erin@example.com", "gpt-4o", Instant.parse("2026-12-01T08:00:00Z")),
                "unknown_model", "was retired, then priced again");
        awaitListing("?model=" + model, letters -> letters.size() == 2);
        awaitListing("?model=gpt-4o&reason=unknown_model", letters -> !letters.isEmpty());

        JsonNode models = JSON.readTree(api.get("/api/v1/admin/pricing/unknown-models", admin).body()).get("models");
        JsonNode row = find(models, model);
        assertThat(row.get("events").asLong()).isEqualTo(2);
        assertThat(row.get("not_replayed").asLong()).isEqualTo(2);
        assertThat(row.get("users").asLong()).isEqualTo(2);
        assertThat(row.get("first_seen").asString()).isEqualTo("2026-11-30T08:00:00Z");
        assertThat(row.get("last_seen").asString()).isEqualTo("2026-12-01T08:00:00Z");
        assertThat(row.get("priced_now").asBoolean()).isFalse();
        assertThat(find(models, "gpt-4o").get("priced_now").asBoolean()).isTrue();
    }

    @Test
    @Tag("security")
    void onlyAnAdminSeesOrReplaysAndBadFiltersAreRefusedWithAProblem() throws Exception {
        String user = api.userToken("mallory@example.com");
        assertThat(api.get("/api/v1/admin/dead-letters", user).statusCode()).isEqualTo(403);
        assertThat(api.get("/api/v1/admin/pricing/unknown-models", user).statusCode()).isEqualTo(403);
        assertThat(api.post("/api/v1/admin/dead-letters/replay", user, "{\"reason\":\"unknown_model\"}").statusCode()).isEqualTo(403);
        assertThat(api.get("/api/v1/admin/dead-letters", null).statusCode()).isEqualTo(401);
        assertThat(api.post("/api/v1/admin/dead-letters/replay", null, "{\"reason\":\"unknown_model\"}").statusCode()).isEqualTo(401);

        for (String query : List.of("?topic=usage.events", "?topic=__consumer_offsets", "?limit=0", "?limit=501", "?limit=x",
                "?cursor=-1", "?cursor=abc", "?from=yesterday", "?reason=" + encode("a\u0000b"), "?model=" + "m".repeat(300))) {
            HttpResponse<String> refused = api.get("/api/v1/admin/dead-letters" + query, admin);
            assertThat(refused.statusCode()).as(query + " -> " + refused.body()).isEqualTo(400);
            assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("problem+json"));
        }
        for (String body : List.of("{}", "{\"ids\":[]}", "{\"ids\":[\"1 OR 1=1\"]}", "{\"ids\":[\"0\"]}",
                "{\"topic\":\"credit.accounts\"}", "{\"reason\":\"\\u0007\"}", "{\"from\":\"not a time\"}", "[]", "not json",
                "{\"ids\":[" + String.join(",", java.util.Collections.nCopies(1001, "\"1\"")) + "]}")) {
            HttpResponse<String> refused = api.post("/api/v1/admin/dead-letters/replay", admin, body);
            assertThat(refused.statusCode()).as(body + " -> " + refused.body()).isEqualTo(400);
            assertThat(refused.body()).contains("https://llm-metering.dev/problems/");
        }
    }

    @Test
    @Tag("security")
    void hostileDeadLettersAreArchivedWithoutStallingTheCopy() throws Exception {
        String reason = "hostile_" + System.nanoTime();
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetterHeaders.REASON, (reason).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.ERROR, ("nul\u0000inside" + "x".repeat(5_000)).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.SOURCE_PARTITION, "99999999999999".getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.SOURCE_OFFSET, "not a number".getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.FAILED_AT, String.valueOf(Long.MAX_VALUE).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.SOURCE_TOPIC, new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        UsageEvent farFuture = event("far-" + reason, "dl-\u0000zed", "m", Instant.parse("+100000-01-01T00:00:00Z"));
        produce(Topics.USAGE_EVENTS_DLQ, new byte[] {0, (byte) 0xff}, EVENTS.encode(farFuture), headers);
        String after = "after_" + reason;
        produce(Topics.USAGE_EVENTS_DLQ, null, null, DeadLetterHeaders.of(after, "null key and value", null, null, 0));

        JsonNode hostile = awaitListing("?reason=" + reason, letters -> letters.size() == 1).get("dead_letters").get(0);
        assertThat(hostile.get("error").asString()).hasSize(512).startsWith("nul\uFFFDinside");
        assertThat(hostile.get("source").get("partition").isNull()).isTrue();
        assertThat(hostile.get("source").get("offset").isNull()).isTrue();
        assertThat(hostile.get("event").get("occurred_at").isNull()).isTrue();
        assertThat(hostile.get("event").get("user_id").asString()).isEqualTo("dl-\uFFFDzed");
        assertThat(awaitListing("?reason=" + after, letters -> letters.size() == 1).get("dead_letters").get(0).get("event").isNull()).isTrue();
    }

    @Test
    void aModelFirstSeenWithoutAPriceIsOneWebhookEventInTheArchivesTransaction() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(0, WebhookReceiver.Behaviour.NORMAL)) {
            HttpResponse<String> created = api.post("/api/v1/admin/webhooks", admin,
                    "{\"url\":\"" + receiver.url() + "\",\"event_types\":[\"model.unpriced\"]}");
            receiver.secret(JSON.readTree(created.body()).get("secret").asString());
            String model = "unpriced-" + System.nanoTime();
            send(Topics.USAGE_EVENTS_DLQ, event("up1-" + model, "dl-gina@example.com", model, Instant.now()), "unknown_model", "no price");
            send(Topics.USAGE_EVENTS_DLQ, event("up2-" + model, "dl-hank@example.com", model, Instant.now()), "unknown_model", "no price");
            awaitListing("?model=" + model, letters -> letters.size() == 2);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.handledOnce.size() == 1);
            JsonNode body = JSON.readTree(receiver.requests.get(0).body());
            assertThat(body.get("type").asString()).isEqualTo("model.unpriced");
            assertThat(body.get("data").get("model").asString()).isEqualTo(model);
            assertThat(body.get("data").get("user_id").asString()).isEqualTo("dl-gina@example.com");

            send(Topics.USAGE_EVENTS_DLQ, event("up3-" + model, "dl-gina@example.com", model, Instant.now()), "unknown_model", "no price");
            String other = "unpriced-other-" + System.nanoTime();
            send(Topics.USAGE_EVENTS_DLQ, event("up4-" + other, "dl-gina@example.com", other, Instant.now()), "unknown_model", "no price");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.handledOnce.size() == 2);
            assertThat(awaitListing("?model=" + model, letters -> letters.size() == 3).get("dead_letters")).hasSize(3);
            assertThat(receiver.requests).extracting(r -> JSON.readTree(r.body()).get("data").get("model").asString())
                    .as("one event per model while its dead letters wait").containsExactly(model, other);
        }
    }

    private static JsonNode find(JsonNode models, String model) {
        for (JsonNode row : models) {
            if (row.get("model").asString().equals(model)) {
                return row;
            }
        }
        throw new AssertionError(model + " not in " + models);
    }

    private JsonNode awaitListing(String query, Predicate<JsonNode> done) {
        return Awaitility.await("dead letters " + query).atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> answer = api.get("/api/v1/admin/dead-letters" + query, admin);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            return JSON.readTree(answer.body());
        }, page -> done.test(page.get("dead_letters")));
    }

    private static UsageEvent event(String id, String user, String model, Instant at) {
        return UsageEvent.newBuilder().setEventId(id).setUserId(user).setModel(model).setProvider("openai")
                .setInputTokens(1000).setOutputTokens(100).setOccurredAt(at).build();
    }

    private void send(String topic, UsageEvent event, String reason, String error) {
        produce(topic, event.getUserId().getBytes(StandardCharsets.UTF_8), EVENTS.encode(event),
                DeadLetterHeaders.of(reason, error, new DeadLetterHeaders.Source("usage.events", 0, 42), "price-events", System.currentTimeMillis()));
    }

    private void produce(String topic, byte[] key, byte[] value, org.apache.kafka.common.header.Headers headers) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                api.broker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            long timestamp = value == null ? System.currentTimeMillis() : timestampOf(value);
            producer.send(new ProducerRecord<>(topic, null, timestamp, key, value, headers)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long timestampOf(byte[] value) {
        try {
            long at = EVENTS.decode(value).getOccurredAt().toEpochMilli();
            return at > Instant.parse("3000-01-01T00:00:00Z").toEpochMilli() ? System.currentTimeMillis() : at;
        } catch (RuntimeException e) {
            return System.currentTimeMillis();
        }
    }

    private KafkaConsumer<byte[], byte[]> consumerAtTheEndOf(String topic) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                api.broker.bootstrapServers()), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    /** The records of the test's model sent since the consumer was placed, waiting a few seconds for {@code wanted}. */
    private static List<ConsumerRecord<byte[], byte[]>> readAtLeast(KafkaConsumer<byte[], byte[]> consumer, int wanted, String model) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        byte[] marker = model.getBytes(StandardCharsets.UTF_8);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(wanted == 1 ? 3 : 15)).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (contains(record.value(), marker)) {
                        records.add(record);
                    }
                }
                return records.size() >= wanted;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // fewer than wanted: the caller's assertion on what arrived says so
        }
        records.sort((a, b) -> Long.compare(a.timestamp(), b.timestamp()));
        return records;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        for (int i = 0; haystack != null && i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
