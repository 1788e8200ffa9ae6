package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.ModelPrice;
import io.llmmetering.schemas.UsageEvent;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.llmmetering.meteringstreams.topology.TopologyFixture.T0;
import static io.llmmetering.meteringstreams.topology.TopologyFixture.event;
import static org.assertj.core.api.Assertions.assertThat;

/** Each event is charged once: copies within the dedupe horizon are dropped, older ones left to the ledger. */
class DedupeEventIdsTest {

    private TopologyFixture fixture = new TopologyFixture(TopologySettings.defaults());

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void theSameEventTwiceIsChargedOnce() {
        UsageEvent event = event("dup", "alice", "gpt-4o", 1000, 0, T0).build();
        fixture.send(event);
        fixture.send(event);
        assertThat(fixture.debits.readValuesToList()).hasSize(1);
        assertThat(fixture.metric("duplicate-events-dropped-total")).isEqualTo(1.0);
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
        assertThat(fixture.metric("duplicate-events-dropped-total")).isEqualTo(2.0);
    }
}
