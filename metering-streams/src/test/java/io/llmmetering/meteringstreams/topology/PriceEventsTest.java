package io.llmmetering.meteringstreams.topology;

import io.llmmetering.core.money.Credits;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.llmmetering.meteringstreams.topology.TopologyFixture.T0;
import static io.llmmetering.meteringstreams.topology.TopologyFixture.event;
import static io.llmmetering.meteringstreams.topology.TopologyFixture.header;
import static org.assertj.core.api.Assertions.assertThat;

/** Each valid event is priced with the price book in force and its user's tier, or dead-lettered, never charged at zero. */
class PriceEventsTest {

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
    @org.junit.jupiter.api.Tag("reliability")
    void aCostPastWhatADebitHoldsIsDeadLetteredAndTheEventsAfterItArePriced() {
        // 50,000 credits per 1k tokens, 10^8 input and output tokens: 10^10 credits, past a long of nano-credits;
        // this crash-looped the stream thread on one offset, and nothing after it on that partition was priced
        fixture.pricingModels.pipeInput("probe-big", ModelPrice.newBuilder().setModel("probe-big").setProvider("probe")
                .setInputPer1k("50000").setOutputPer1k("50000").setVersion("v-big").setEffectiveFrom(T0).build());
        fixture.send(event("huge", "alice", "probe-big", 100_000_000, 100_000_000, T0).build());
        fixture.send(event("after", "alice", "gpt-4o", 1000, 0, T0.plusSeconds(1)).build());

        TestRecord<String, byte[]> letter = fixture.deadLetters.readRecord();
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo("cost_overflow");
        assertThat(header(letter, DeadLetters.PROCESSOR)).isEqualTo("price-events");
        assertThat(fixture.debits.readValuesToList()).extracting(Debit::getEventId).containsExactly("after");
        assertThat(fixture.metric("events-dead-lettered-total")).isEqualTo(1.0);
    }
}
