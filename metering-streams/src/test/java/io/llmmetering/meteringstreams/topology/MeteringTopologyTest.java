package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.llmmetering.meteringstreams.topology.TopologyFixture.T0;
import static io.llmmetering.meteringstreams.topology.TopologyFixture.event;
import static org.assertj.core.api.Assertions.assertThat;

class MeteringTopologyTest {

    private TopologyFixture fixture = new TopologyFixture(TopologySettings.defaults());

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void aUniqueEventIsChargedOnceAtItsModelsPrice() {
        fixture.send(event("e1", "alice", "gpt-4o", 1200, 350, T0).build());

        List<Debit> debits = fixture.debits.readValuesToList();

        assertThat(debits).singleElement().satisfies(debit -> {
            assertThat(debit.getEventId()).isEqualTo("e1");
            assertThat(debit.getUserId()).isEqualTo("alice");
            assertThat(debit.getAmountNanos()).isEqualTo(Credits.parse("0.0065").nanos()); // 1200*2.5e-6 + 350*1e-5
            assertThat(debit.getModel()).isEqualTo("gpt-4o");
            assertThat(debit.getPowerLevel()).isEqualTo("balanced");
            assertThat(debit.getTier()).isEqualTo("free");
            assertThat(debit.getPriceVersion()).isEqualTo(TopologyFixture.DEFAULT_BOOK.version());
            assertThat(debit.getOccurredAt()).isEqualTo(T0);
            assertThat(debit.getPricedAt()).isEqualTo(T0.plusSeconds(7200));
        });
    }

    @Test
    void debitsAreKeyedByUser() {
        fixture.send(event("e1", "alice", "gpt-4o", 10, 10, T0).build());
        assertThat(fixture.debits.readKeyValue().key).isEqualTo("alice");
    }

    @Test
    void theSameEventTwiceIsChargedOnce() {
        UsageEvent event = event("dup", "alice", "gpt-4o", 1000, 0, T0).build();
        fixture.send(event);
        fixture.send(event);
        assertThat(fixture.debits.readValuesToList()).hasSize(1);
        assertThat(metric("duplicate-events-dropped-total")).isEqualTo(1.0);
    }

    @Test
    void tenCopiesOfAnEventAmongOthersAreChargedOnce() {
        UsageEvent event = event("retried", "alice", "gpt-4o", 1000, 0, T0).build();
        for (int copy = 0; copy < 10; copy++) {
            fixture.send(event);
            fixture.send(event("other-" + copy, "alice", "gpt-4o", 1000, 0, T0.plusSeconds(copy)).build());
        }
        List<Debit> debits = fixture.debits.readValuesToList();
        assertThat(debits).hasSize(11);
        assertThat(debits).filteredOn(d -> d.getEventId().equals("retried")).hasSize(1);
    }

    @Test
    void aRetryWithALaterTimestampWithinTheHorizonIsStillADuplicate() {
        fixture.send(event("r1", "alice", "gpt-4o", 1000, 0, T0).build());
        fixture.send(event("r1", "alice", "gpt-4o", 1000, 0, T0.plusSeconds(30)).build());
        assertThat(fixture.debits.readValuesToList()).hasSize(1);
    }

    @Test
    void aCopyOlderThanTheHorizonIsForgottenAndLeftToTheLedgersUniqueKey() {
        fixture.close();
        TopologySettings oneHour = new TopologySettings(Duration.ofHours(1), Duration.ofMinutes(5));
        fixture = new TopologyFixture(oneHour, T0.plusSeconds(10 * 3600));
        UsageEvent old = event("old", "alice", "gpt-4o", 1000, 0, T0).build();
        fixture.send(old);
        // other traffic moves stream time four hours on: the id's segment expires
        fixture.send(event("later", "alice", "gpt-4o", 1000, 0, T0.plus(Duration.ofHours(4))).build());
        fixture.send(old);
        assertThat(fixture.debits.readValuesToList()).extracting(Debit::getEventId).containsExactly("old", "later", "old");
    }

    @Test
    void tierMarkupAndPowerLevelMultiplyThePrice() {
        fixture.setTier("bob", "enterprise");
        fixture.send(event("e1", "bob", "gpt-4o", 1000, 1000, T0).setPowerLevel("precision").build());
        // (0.0025 + 0.01) * 1.5 * 1.8 = 0.03375
        Debit debit = fixture.debits.readValue();
        assertThat(debit.getAmountNanos()).isEqualTo(Credits.parse("0.03375").nanos());
        assertThat(debit.getTier()).isEqualTo("enterprise");
        assertThat(debit.getPowerLevel()).isEqualTo("precision");
    }

    @Test
    void aTierChangeAppliesToTheEventsAfterIt() {
        fixture.send(event("before", "carol", "gpt-4o", 1000, 0, T0).build());
        fixture.setTier("carol", "starter");
        fixture.send(event("after", "carol", "gpt-4o", 1000, 0, T0.plusSeconds(1)).build());
        assertThat(fixture.debits.readValuesToList()).extracting(Debit::getAmountNanos)
                .containsExactly(Credits.parse("0.0025").nanos(), Credits.parse("0.0035").nanos());
    }

    @Test
    void cachedInputTokensArePricedAtTheCachedRate() {
        fixture.send(event("c1", "alice", "gpt-4o", 1000, 0, T0).setCachedInputTokens(800).build());
        assertThat(fixture.debits.readValue().getAmountNanos()).isEqualTo(Credits.parse("0.0015").nanos());
    }

    @Test
    void aPriceChangeMidStreamAppliesToLaterEventsAndIsRecordedOnTheDebit() {
        fixture.send(event("before", "alice", "gpt-4o", 1000, 0, T0).build());
        fixture.pricingModels.pipeInput("gpt-4o", ModelPrice.newBuilder().setModel("gpt-4o").setProvider("openai")
                .setInputPer1k("0.005").setOutputPer1k("0.015").setVersion("2026-12-price-rise").setEffectiveFrom(T0).build());
        fixture.send(event("after", "alice", "gpt-4o", 1000, 0, T0.plusSeconds(1)).build());

        List<Debit> debits = fixture.debits.readValuesToList();
        assertThat(debits).extracting(Debit::getAmountNanos).containsExactly(2_500_000L, 5_000_000L);
        assertThat(debits).extracting(Debit::getPriceVersion).containsExactly(TopologyFixture.DEFAULT_BOOK.version(), "2026-12-price-rise");
    }

    @Test
    void anAliasIsPricedAsItsModelAndRecordedUnderTheCanonicalId() {
        fixture.send(event("a1", "alice", "gpt-4o-2024-08-06", 1000, 0, T0).build());
        assertThat(fixture.debits.readValue().getModel()).isEqualTo("gpt-4o");
    }

    @Test
    void anUnknownModelGoesToTheDeadLetterTopicWithTheReasonAndItsOrigin() {
        UsageEvent unknown = event("u1", "alice", "gpt-9-ultra", 1000, 0, T0).build();
        fixture.send(unknown);

        assertThat(fixture.debits.isEmpty()).isTrue();
        TestRecord<String, byte[]> letter = fixture.deadLetters.readRecord();
        assertThat(letter.key()).isEqualTo("alice");
        assertThat(letter.value()).isEqualTo(MessageCodec.of(UsageEvent.class).encode(unknown));
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo("unknown_model");
        assertThat(header(letter, DeadLetters.ERROR)).contains("gpt-9-ultra");
        assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo("usage.events");
        assertThat(header(letter, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(header(letter, DeadLetters.PROCESSOR)).isEqualTo("price-events");
    }

    @Test
    void aDeadLetteredEventReplayedAfterItsPriceWasAddedIsChargedOnceWithinTheHorizon() {
        UsageEvent unknown = event("late-price", "alice", "gpt-9-ultra", 1000, 0, T0).build();
        fixture.send(unknown);
        TestRecord<String, byte[]> letter = fixture.deadLetters.readRecord();
        fixture.pricingModels.pipeInput("gpt-9-ultra", ModelPrice.newBuilder().setModel("gpt-9-ultra").setProvider("openai")
                .setInputPer1k("0.004").setOutputPer1k("0.012").setVersion("v-added").setEffectiveFrom(T0).build());

        fixture.usageEvents.pipeInput(letter.key(), letter.value(), letter.timestamp());
        fixture.usageEvents.pipeInput(letter.key(), letter.value(), letter.timestamp());
        fixture.send(unknown);

        assertThat(fixture.debits.readValuesToList()).singleElement().satisfies(debit -> {
            assertThat(debit.getEventId()).isEqualTo("late-price");
            assertThat(debit.getAmountNanos()).isEqualTo(4_000_000L);
            assertThat(debit.getPriceVersion()).isEqualTo("v-added");
        });
        assertThat(fixture.deadLetters.isEmpty()).isTrue();
        assertThat(metric("duplicate-events-dropped-total")).isEqualTo(2.0);
    }

    @Test
    void anEventStillUnpricedWhenReplayedIsDeadLetteredAgain() {
        fixture.send(event("still-unknown", "alice", "gpt-9-ultra", 1000, 0, T0).build());
        TestRecord<String, byte[]> letter = fixture.deadLetters.readRecord();

        fixture.usageEvents.pipeInput(letter.key(), letter.value(), letter.timestamp());

        assertThat(fixture.debits.isEmpty()).isTrue();
        TestRecord<String, byte[]> again = fixture.deadLetters.readRecord();
        assertThat(again.value()).isEqualTo(letter.value());
        assertThat(header(again, DeadLetters.REASON)).isEqualTo("unknown_model");
    }

    @Test
    void aRetiredModelIsNoLongerPriced() {
        fixture.pricingModels.pipeInput("o1", ModelPrice.newBuilder().setModel("o1").setProvider("openai")
                .setInputPer1k("0.015").setOutputPer1k("0.06").setVersion("v-retire").setEffectiveFrom(T0).setRetired(true).build());
        fixture.send(event("r", "alice", "o1", 10, 10, T0).build());
        assertThat(fixture.debits.isEmpty()).isTrue();
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("unknown_model");
    }

    @Test
    void aTombstoneRemovesAModelsPrice() {
        fixture.pricingModels.pipeInput("o1", (ModelPrice) null);
        fixture.send(event("t", "alice", "o1", 10, 10, T0).build());
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("unknown_model");
    }

    @Test
    void anUnknownPowerLevelGoesToTheDeadLetterTopic() {
        fixture.send(event("p", "alice", "gpt-4o", 10, 10, T0).setPowerLevel("ludicrous").build());
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("unknown_power_level");
    }

    @Test
    @Tag("security")
    void garbageBytesGoToTheDeadLetterTopicUnchangedAndProcessingContinues() {
        byte[] garbage = "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8);
        fixture.usageEvents.pipeInput("alice", garbage, T0);
        fixture.send(event("good", "alice", "gpt-4o", 1000, 0, T0).build());

        TestRecord<String, byte[]> letter = fixture.deadLetters.readRecord();
        assertThat(letter.value()).isEqualTo(garbage);
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo("bad_header");
        assertThat(header(letter, DeadLetters.PROCESSOR)).isEqualTo("validate-events");
        assertThat(fixture.debits.readValuesToList()).extracting(Debit::getEventId).containsExactly("good");
    }

    @Test
    @Tag("security")
    void aNullValueIsDeadLetteredNotACrash() {
        fixture.usageEvents.pipeInput("alice", (byte[]) null, T0);
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("bad_header");
    }

    @Test
    void negativeTokenCountsAreDeadLettered() {
        fixture.send(event("neg", "alice", "gpt-4o", -5, 10, T0).build());
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("invalid_usage");
    }

    @Test
    void aBlankEventIdIsDeadLettered() {
        fixture.send(event(" ", "alice", "gpt-4o", 5, 10, T0).build());
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("missing_field");
    }

    @Test
    void anEventFromTheFutureIsDeadLettered() {
        fixture.send(event("future", "alice", "gpt-4o", 5, 10, T0.plus(Duration.ofDays(3))).build());
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("occurred_in_future");
    }

    @Test
    @Tag("security")
    void controlCharactersInAUserIdAreDeadLettered() {
        fixture.send(event("cc", "alice\u0000admin", "gpt-4o", 5, 10, T0).build());
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("invalid_characters");
    }

    @Test
    @Tag("security")
    void anEventKeyedByAnotherUserIsDeadLettered() {
        fixture.sendKeyed("mallory", event("k", "alice", "gpt-4o", 5, 10, T0).build());
        assertThat(header(fixture.deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("wrong_key");
        assertThat(fixture.debits.isEmpty()).isTrue();
    }

    @Test
    void aPricedEventWritesItsDebitAndNothingElse() {
        fixture.send(event("only", "alice", "gpt-4o", 1000, 100, T0.plusSeconds(60)).build());

        assertThat(fixture.debits.readValuesToList()).hasSize(1);
        assertThat(fixture.deadLetters.isEmpty()).isTrue();
        assertThat(fixture.driver.producedTopicNames()).containsExactlyInAnyOrder("credit.debits", "metering-test-dedupe-event-ids-changelog");
    }

    @Test
    void everyProcessorAndStoreHasAChosenName() {
        String description = MeteringTopology.build(TopologySettings.defaults(), TopologyFixture.DEFAULT_BOOK).describe().toString();
        assertThat(description).doesNotContain("KSTREAM-").doesNotContain("KTABLE-")
                .contains("validate-events", "dedupe-event-ids", "price-events", "debits-sink", "dead-letter-sink", "model-prices",
                        "account-states");
    }

    private double metric(String name) {
        return fixture.driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && e.getKey().group().contains(Metrics.SCOPE))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    private static String header(TestRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
