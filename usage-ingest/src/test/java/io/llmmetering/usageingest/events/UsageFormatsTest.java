package io.llmmetering.usageingest.events;

import io.llmmetering.core.keys.LiteLlmAccount;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.schemas.UsageEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UsageFormatsTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    private final EventNormalizer normalizer = new EventNormalizer(PriceBookReader.defaultPriceBook(), Duration.ofMinutes(5));

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = UsageFormatsTest.class.getResourceAsStream("/fixtures/" + name)) {
            return in.readAllBytes();
        }
    }

    private EventNormalizer.Outcome normalize(ParsedEvent parsed, String idempotencyKey) {
        return normalizer.normalize((ParsedEvent.Candidate) parsed, idempotencyKey, "key-1", NOW);
    }

    @Test
    void aNativeEventBecomesAUsageEventWithTheDefaultPowerLevelUnset() {
        List<ParsedEvent> parsed = UsageFormats.nativeEvents(bytes("""
                {"event_id":"e1","user_id":"u@example.com","provider":"openai","model":"gpt-4o",
                 "input_tokens":1000,"output_tokens":20,"occurred_at":"2026-11-25T09:59:00Z","metadata":{"team":"search","n":3}}"""), false, "proxy-a");
        UsageEvent event = normalize(parsed.get(0), null).event();
        assertThat(event.getEventId()).isEqualTo("e1");
        assertThat(event.getPowerLevel()).isNull(); // priced as balanced by the topology
        assertThat(event.getMetadata()).containsEntry("team", "search").containsEntry("n", "3");
        assertThat(event.getSource()).isEqualTo("proxy-a");
        assertThat(event.getIngestKeyId()).isEqualTo("key-1");
    }

    @Test
    void nativeArraysAndNdjsonGiveOneEventPerElementInOrder() {
        String one = "{\"event_id\":\"%s\",\"user_id\":\"u\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":1}";
        assertThat(UsageFormats.nativeEvents(bytes("[" + one.formatted("a") + "," + one.formatted("b") + "]"), false, "s")).hasSize(2);
        assertThat(UsageFormats.nativeEvents(bytes(one.formatted("a") + "\n\n" + one.formatted("b") + "\n"), true, "s"))
                .extracting(ParsedEvent::index).containsExactly(0, 1);
    }

    @Test
    void openMeterCloudEventsBatchFromTheSdksIsRead() throws IOException {
        List<ParsedEvent> parsed = UsageFormats.cloudEvents(fixture("openmeter-cloudevents-batch.json"), true);
        UsageEvent first = normalize(parsed.get(0), null).event();
        assertThat(first.getEventId()).isEqualTo("5c10fade-1c9e-4d6c-8275-c52c36731d3c");
        assertThat(first.getUserId()).isEqualTo("customer-1@example.com");
        assertThat(first.getInputTokens()).isEqualTo(1200);
        assertThat(first.getOutputTokens()).isEqualTo(350);
        assertThat(first.getOccurredAt()).isEqualTo(Instant.parse("2026-11-25T09:41:07.381Z"));
        assertThat(first.getSource()).isEqualTo("openmeter-node-sdk");
        assertThat(first.getMetadata()).containsEntry("cloudevents_type", "tokens");
        assertThat(normalize(parsed.get(1), null).event().getModel()).isEqualTo("claude-sonnet-4-5");
    }

    @Test
    void aCloudEventsBatchMustBeAnArray() {
        assertThatThrownBy(() -> UsageFormats.cloudEvents(bytes("{\"id\":\"x\"}"), true)).isInstanceOf(MalformedBodyException.class);
    }

    @Test
    void liteLlmGenericApiArrayIsReadAndFailedCallsAreIgnored() throws IOException {
        List<ParsedEvent> parsed = UsageFormats.liteLlm(fixture("litellm-generic-api-array.json"), LiteLlmAccount.USER);
        assertThat(parsed).hasSize(3);
        UsageEvent alice = normalize(parsed.get(0), null).event();
        assertThat(alice.getEventId()).isEqualTo("chatcmpl-a1b2c3d4-e5f6-7890-abcd-ef0123456789");
        assertThat(alice.getUserId()).isEqualTo("alice@example.com");
        assertThat(alice.getProvider()).isEqualTo("openai");
        assertThat(alice.getInputTokens()).isEqualTo(1200);
        assertThat(alice.getCachedInputTokens()).isEqualTo(200);
        assertThat(alice.getOccurredAt()).isEqualTo(Instant.parse("2025-11-25T09:41:07.381Z"));
        assertThat(alice.getMetadata()).containsEntry("team_id", "team-search").containsEntry("key_alias", "search-backend");
        assertThat(parsed.get(1)).isInstanceOf(ParsedEvent.Ignored.class);
        assertThat(normalize(parsed.get(2), null).event().getUserId()).isEqualTo("bob@example.com");
    }

    @Test
    void liteLlmNdjsonAndSinglePayloadsAreReadToo() {
        String record = "{\"id\":\"%s\",\"status\":\"success\",\"model\":\"gpt-4o\",\"custom_llm_provider\":\"openai\",\"prompt_tokens\":5,"
                + "\"completion_tokens\":1,\"startTime\":1764063667.0,\"metadata\":{\"user_api_key_user_id\":\"u\"}}";
        assertThat(UsageFormats.liteLlm(bytes(record.formatted("a") + "\n" + record.formatted("b")), LiteLlmAccount.USER)).hasSize(2);
        assertThat(UsageFormats.liteLlm(bytes(record.formatted("only")), LiteLlmAccount.USER)).hasSize(1);
    }

    /** Four records (user and team, user only, team only, neither) billed under each setting of the ingest key. */
    @Test
    void theIngestKeysSettingSaysWhetherARecordBillsItsUserOrItsTeam() {
        String body = "[" + String.join(",",
                "{\"id\":\"both\",\"model\":\"gpt-4o\",\"prompt_tokens\":5,\"metadata\":{\"user_api_key_user_id\":\"ann\",\"user_api_key_team_id\":\"t-1\"}}",
                "{\"id\":\"user\",\"model\":\"gpt-4o\",\"prompt_tokens\":5,\"end_user\":\"ben\",\"metadata\":{}}",
                "{\"id\":\"team\",\"model\":\"gpt-4o\",\"prompt_tokens\":5,\"metadata\":{\"user_api_key_team_id\":\"t-2\"}}",
                "{\"id\":\"none\",\"model\":\"gpt-4o\",\"prompt_tokens\":5,\"metadata\":{}}") + "]";
        assertThat(accounts(body, LiteLlmAccount.USER)).containsExactly("ann", "ben", null, null);
        assertThat(accounts(body, LiteLlmAccount.TEAM)).containsExactly("team:t-1", "refused: this ingest key bills LiteLLM teams and the record has no metadata.user_api_key_team_id",
                "team:t-2", "refused: this ingest key bills LiteLLM teams and the record has no metadata.user_api_key_team_id");
        assertThat(accounts(body, LiteLlmAccount.TEAM_WHEN_NO_USER)).containsExactly("ann", "ben", "team:t-2",
                "refused: the record names neither a user nor a team (metadata.user_api_key_team_id)");
        ParsedEvent.Candidate teamBilled = (ParsedEvent.Candidate) UsageFormats.liteLlm(bytes(body), LiteLlmAccount.TEAM).get(0);
        assertThat(teamBilled.event().metadata()).containsEntry("team_id", "t-1").containsEntry("litellm_user", "ann");
    }

    private static List<String> accounts(String body, LiteLlmAccount account) {
        return UsageFormats.liteLlm(bytes(body), account).stream()
                .map(parsed -> parsed instanceof ParsedEvent.Candidate candidate ? candidate.event().userId()
                        : "refused: " + ((ParsedEvent.Rejected) parsed).detail())
                .toList();
    }

    @Test
    void withoutAnIdTheIdempotencyKeyAndPositionGiveTheSameIdOnARetry() {
        byte[] body = bytes("[{\"user_id\":\"u\",\"provider\":\"p\",\"model\":\"gpt-4o\",\"input_tokens\":1},"
                + "{\"user_id\":\"u\",\"provider\":\"p\",\"model\":\"gpt-4o\",\"input_tokens\":2}]");
        List<ParsedEvent> first = UsageFormats.nativeEvents(body, false, "s");
        List<ParsedEvent> retry = UsageFormats.nativeEvents(body, false, "s");
        String id0 = normalize(first.get(0), "req-42").event().getEventId();
        assertThat(normalize(retry.get(0), "req-42").event().getEventId()).isEqualTo(id0);
        assertThat(normalize(first.get(1), "req-42").event().getEventId()).isNotEqualTo(id0);
        assertThat(normalize(first.get(0), "req-43").event().getEventId()).isNotEqualTo(id0);
    }

    @Test
    void withoutAnIdOrAnIdempotencyKeyTheEventIsRefused() {
        ParsedEvent parsed = UsageFormats.nativeEvents(bytes("{\"user_id\":\"u\",\"provider\":\"p\",\"model\":\"m\",\"input_tokens\":1}"), false, "s").get(0);
        assertThat(normalize(parsed, null).rejection().reason()).isEqualTo("missing_event_id");
    }

    @Test
    void malformedJsonSaysWhere() {
        assertThatThrownBy(() -> UsageFormats.nativeEvents(bytes("{\"event_id\": \"e1\",\n \"user_id\": }"), false, "s"))
                .isInstanceOf(MalformedBodyException.class).hasMessageContaining("line 2");
        assertThatThrownBy(() -> UsageFormats.nativeEvents(bytes("{\"a\":1}\n{broken"), true, "s"))
                .isInstanceOf(MalformedBodyException.class).hasMessageContaining("line 2");
    }

    @Test
    @Tag("security")
    void hostileAndInvalidEventsAreRefusedOneByOneWithTheirReason() {
        String template = "{\"event_id\":\"e\",\"user_id\":%s,\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":%s,"
                + "\"output_tokens\":1,\"power_level\":%s,\"occurred_at\":%s}";
        record Case(String user, String input, String power, String time, String reason) {
        }
        List<Case> cases = List.of(
                new Case("null", "1", "null", "null", "missing_field"),
                new Case("\"\"", "1", "null", "null", "missing_field"),
                new Case("\"u\"", "-5", "null", "null", "invalid_usage"),
                new Case("\"u\"", "100000000000", "null", "null", "invalid_usage"),
                new Case("\"u\"", "1.5", "null", "null", "invalid_field"),
                new Case("\"u\"", "\"many\"", "null", "null", "invalid_field"),
                new Case("\"u\"", "1", "\"turbo\"", "null", "unknown_power_level"),
                new Case("\"u\"", "1", "null", "\"2030-01-01T00:00:00Z\"", "occurred_in_future"),
                new Case("\"u\"", "1", "null", "\"yesterday\"", "invalid_field"),
                // found by IngestFuzzTest: a number JSON allows but that is read as Infinity was a 500
                new Case("\"u\"", "1", "null", "1e309", "invalid_field"),
                new Case("\"u\"", "1", "null", "\"1999-01-01T00:00:00Z\"", "invalid_time"),
                new Case("\"" + "x".repeat(300) + "\"", "1", "null", "null", "field_too_long"),
                new Case("\"alice\\u0000admin\"", "1", "null", "null", "invalid_characters"));
        for (Case c : cases) {
            ParsedEvent parsed = UsageFormats.nativeEvents(bytes(template.formatted(c.user(), c.input(), c.power(), c.time())), false, "s").get(0);
            String reason = parsed instanceof ParsedEvent.Rejected r ? r.reason() : normalize(parsed, null).rejection().reason();
            assertThat(reason).as(c.toString()).isEqualTo(c.reason());
        }
    }

    @Test
    void moreCachedThanInputTokensIsRefused() {
        ParsedEvent parsed = UsageFormats.nativeEvents(bytes("{\"event_id\":\"e\",\"user_id\":\"u\",\"provider\":\"p\",\"model\":\"m\","
                + "\"input_tokens\":1,\"cached_input_tokens\":5}"), false, "s").get(0);
        assertThat(normalize(parsed, null).rejection().reason()).isEqualTo("invalid_usage");
    }

    @Test
    void anEventWithNoTokenCountsAtAllIsRefused() {
        ParsedEvent parsed = UsageFormats.nativeEvents(bytes("{\"event_id\":\"e\",\"user_id\":\"u\",\"provider\":\"p\",\"model\":\"m\"}"), false, "s").get(0);
        assertThat(normalize(parsed, null).rejection().reason()).isEqualTo("missing_field");
    }

    @Test
    void aBodyThatIsNeitherObjectNorArrayIsMalformed() {
        assertThatThrownBy(() -> UsageFormats.nativeEvents(bytes("42"), false, "s")).isInstanceOf(MalformedBodyException.class);
        assertThatThrownBy(() -> UsageFormats.nativeEvents(bytes(""), false, "s")).isInstanceOf(MalformedBodyException.class);
    }

    private String refusal(String nativeJson) {
        ParsedEvent parsed = UsageFormats.nativeEvents(bytes(nativeJson), false, "s").get(0);
        return parsed instanceof ParsedEvent.Rejected r ? r.reason() : normalize(parsed, null).rejection().reason();
    }

    private static final String EVENT = "{\"event_id\":\"e\",\"user_id\":\"u\",\"provider\":\"openai\",\"model\":\"gpt-4o\","
            + "\"input_tokens\":1%s}";

    @Test
    @Tag("security")
    void aSourceWithANulCharacterIsRefusedBeforeItCanStopTheLedger() {
        // it reached the usage_events row, PostgreSQL refused 0x00 and the applier re-read that batch forever
        assertThat(refusal(EVENT.formatted(",\"source\":\"a\\u0000b\""))).isEqualTo("invalid_characters");
        assertThat(refusal(EVENT.formatted(",\"source\":\"line\\nbreak\""))).isEqualTo("invalid_characters");
    }

    @Test
    @Tag("security")
    void metadataKeysAndValuesWithControlCharactersAreRefused() {
        assertThat(refusal(EVENT.formatted(",\"metadata\":{\"team\":\"a\\u0000\"}"))).isEqualTo("invalid_characters");
        assertThat(refusal(EVENT.formatted(",\"metadata\":{\"t\\u0007\":\"a\"}"))).isEqualTo("invalid_characters");
    }

    @Test
    @org.junit.jupiter.api.Tag("security")
    void textOverItsBoundIsRefusedNeverCut() {
        assertThat(refusal(EVENT.formatted(",\"source\":\"" + "s".repeat(201) + "\""))).isEqualTo("field_too_long");
        assertThat(refusal(EVENT.formatted(",\"metadata\":{\"note\":\"" + "m".repeat(1025) + "\"}"))).isEqualTo("metadata_too_large");
        StringBuilder many = new StringBuilder(",\"metadata\":{");
        for (int i = 0; i <= 64; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        assertThat(refusal(EVENT.formatted(many.append("}")))).isEqualTo("metadata_too_large");
    }

    @Test
    @org.junit.jupiter.api.Tag("reliability")
    void theSameIdempotencyKeyFromTwoIngestKeysGivesTwoEventIds() {
        ParsedEvent.Candidate parsed = (ParsedEvent.Candidate) UsageFormats.nativeEvents(
                bytes("{\"user_id\":\"u\",\"provider\":\"p\",\"model\":\"gpt-4o\",\"input_tokens\":1}"), false, "s").get(0);
        String fromFirstProxy = normalizer.normalize(parsed, "req-1", "key-1", NOW).event().getEventId();
        String fromSecondProxy = normalizer.normalize(parsed, "req-1", "key-2", NOW).event().getEventId();
        assertThat(fromFirstProxy).isNotEqualTo(fromSecondProxy);
        assertThat(normalizer.normalize(parsed, "req-1", "key-1", NOW).event().getEventId()).isEqualTo(fromFirstProxy);
    }
}
