package io.llmmetering.meteringstreams.topology;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.llmmetering.meteringstreams.topology.TopologyFixture.T0;
import static io.llmmetering.meteringstreams.topology.TopologyFixture.event;
import static org.assertj.core.api.Assertions.assertThat;

/** The topology as a whole: what an event costs it, and names chosen for every processor and store. */
class MeteringTopologyTest {

    private TopologyFixture fixture = new TopologyFixture(TopologySettings.defaults());

    @AfterEach
    void close() {
        fixture.close();
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
}
