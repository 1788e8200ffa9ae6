package io.llmmetering.schemas;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The one set of usage-event rules, each with its reason code, as ingest and the topology both apply them. */
class UsageEventRulesTest {

    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final Duration SKEW = Duration.ofMinutes(5);

    @Test
    void aWellFormedEventBreaksNoRule() {
        assertThat(UsageEventRules.check(event().build(), NOW, SKEW)).isEmpty();
    }

    @Test
    void eachRuleNamesItsReason() {
        assertThat(reason(event().setUserId(" "))).contains("missing_field");
        assertThat(reason(event().setModel("m".repeat(201)))).contains("field_too_long");
        assertThat(reason(event().setEventId("e".repeat(256)))).contains("field_too_long");
        assertThat(reason(event().setUserId("alice\u0000admin"))).contains("invalid_characters");
        assertThat(reason(event().setInputTokens(-1))).contains("invalid_usage");
        assertThat(reason(event().setCachedInputTokens(2_000))).contains("invalid_usage");
        assertThat(reason(event().setOccurredAt(NOW.plus(SKEW).plusSeconds(1)))).contains("occurred_in_future");
        assertThat(reason(event().setOccurredAt(Instant.parse("2019-12-31T23:59:59Z")))).contains("invalid_time");
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i <= UsageEventRules.MAX_METADATA_ENTRIES; i++) {
            many.put("k" + i, "v");
        }
        assertThat(reason(event().setMetadata(many))).contains("metadata_too_large");
        assertThat(reason(event().setMetadata(Map.of("k", "v".repeat(1025))))).contains("metadata_too_large");
    }

    @Test
    @org.junit.jupiter.api.Tag("security")
    void everyTextFieldThatReachesARowOrALogIsCheckedNotOnlyTheRequiredOnes() {
        assertThat(reason(event().setSource("a\u0000b"))).contains("invalid_characters");
        assertThat(reason(event().setSource("s".repeat(201)))).contains("field_too_long");
        assertThat(reason(event().setPowerLevel("eco\n"))).contains("invalid_characters");
        assertThat(reason(event().setIngestKeyId("k\u0000"))).contains("invalid_characters");
        assertThat(reason(event().setMetadata(Map.of("team", "a\u0000")))).contains("invalid_characters");
        assertThat(reason(event().setMetadata(Map.of("t\r", "a")))).contains("invalid_characters");
    }

    @Test
    void theLimitsThemselvesAreAllowed() {
        assertThat(reason(event().setEventId("e".repeat(255)).setModel("m".repeat(200)).setOccurredAt(NOW.plus(SKEW))
                .setMetadata(Map.of("k", "v".repeat(1024))))).isEmpty();
    }

    private static Optional<String> reason(UsageEvent.Builder event) {
        return UsageEventRules.check(event.build(), NOW, SKEW).map(UsageEventRules.Violation::reason);
    }

    private static UsageEvent.Builder event() {
        return UsageEvent.newBuilder().setEventId("e1").setUserId("alice").setModel("gpt-4o").setProvider("openai")
                .setInputTokens(1_000).setOutputTokens(100).setOccurredAt(NOW);
    }
}
