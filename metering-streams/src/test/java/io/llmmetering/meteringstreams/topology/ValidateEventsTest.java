package io.llmmetering.meteringstreams.topology;

import io.llmmetering.schemas.Debit;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.llmmetering.meteringstreams.topology.TopologyFixture.T0;
import static io.llmmetering.meteringstreams.topology.TopologyFixture.event;
import static io.llmmetering.meteringstreams.topology.TopologyFixture.header;
import static org.assertj.core.api.Assertions.assertThat;

/** What is not a valid usage event keyed by its user goes to the dead-letter topic unchanged, and processing goes on. */
class ValidateEventsTest {

    private TopologyFixture fixture = new TopologyFixture(TopologySettings.defaults());

    @AfterEach
    void close() {
        fixture.close();
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
}
