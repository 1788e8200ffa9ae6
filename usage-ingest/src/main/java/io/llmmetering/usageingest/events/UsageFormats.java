package io.llmmetering.usageingest.events;

import io.llmmetering.core.keys.LiteLlmAccount;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The three body formats proxies already send, each turned into {@link ParsedEvent}s: our native JSON,
 * OpenMeter-compatible CloudEvents, and LiteLLM's {@code generic_api} logging payloads.
 */
public final class UsageFormats {

    private UsageFormats() {
    }

    /** {@code {"event_id", "user_id", "provider", "model", "input_tokens", "output_tokens", ...}}: one, an array, or NDJSON. */
    public static List<ParsedEvent> nativeEvents(byte[] body, boolean ndjson, String defaultSource) {
        return each(JsonFields.elements(body, ndjson), (index, node) -> new ParsedEvent.Candidate(index, new IncomingEvent(
                JsonFields.text(node, "event_id", "id", "request_id"),
                JsonFields.text(node, "user_id", "user"),
                JsonFields.text(node, "provider"),
                JsonFields.text(node, "model"),
                JsonFields.count(node, "input_tokens", "prompt_tokens"),
                JsonFields.count(node, "output_tokens", "completion_tokens"),
                JsonFields.count(node, "cached_input_tokens", "cached_tokens"),
                JsonFields.text(node, "power_level"),
                JsonFields.time(node, "occurred_at", "timestamp"),
                JsonFields.metadata(node.path("metadata")),
                firstNonBlank(JsonFields.text(node, "source"), defaultSource))));
    }

    /**
     * CloudEvents as OpenMeter ingests them: {@code id} is the event id, {@code subject} the user, {@code time}
     * the time, {@code source} the reporting service, {@code data} the usage. Only usage of LLM calls is
     * metered here; an event with neither model nor token counts is refused, not silently priced at zero.
     */
    public static List<ParsedEvent> cloudEvents(byte[] body, boolean batch) {
        List<JsonNode> elements = JsonFields.elements(body, false);
        if (batch && elements.size() == 1 && body.length > 0 && firstNonSpace(body) != '[') {
            throw new MalformedBodyException("a cloudevents-batch+json body must be a JSON array");
        }
        return each(elements, (index, node) -> {
            JsonNode data = node.path("data");
            if (!data.isObject()) {
                return new ParsedEvent.Rejected(index, "missing_field", "data must be an object with model and token counts");
            }
            return new ParsedEvent.Candidate(index, new IncomingEvent(
                    JsonFields.text(node, "id"),
                    JsonFields.text(node, "subject"),
                    JsonFields.text(data, "provider"),
                    JsonFields.text(data, "model"),
                    JsonFields.count(data, "input_tokens", "prompt_tokens"),
                    JsonFields.count(data, "output_tokens", "completion_tokens"),
                    JsonFields.count(data, "cached_input_tokens", "cached_tokens"),
                    JsonFields.text(data, "power_level"),
                    JsonFields.time(node, "time"),
                    withType(JsonFields.metadata(data.path("metadata")), JsonFields.text(node, "type")),
                    firstNonBlank(JsonFields.text(node, "source"), "cloudevents")));
        });
    }

    /**
     * LiteLLM's StandardLoggingPayload, in each of the generic_api callback's log formats (a JSON array, NDJSON,
     * or a single object). The user is {@code metadata.user_api_key_user_id}, else the end user; the team is
     * {@code metadata.user_api_key_team_id}; which of them is billed is the ingest key's {@code account} setting.
     * Records whose {@code status} is {@code failure} cost nothing and are ignored.
     */
    public static List<ParsedEvent> liteLlm(byte[] body, LiteLlmAccount account) {
        int first = firstNonSpace(body);
        boolean ndjson = first == '{' && JsonFields.lines(body).size() > 1;
        return each(JsonFields.elements(body, ndjson), (index, node) -> {
            if ("failure".equalsIgnoreCase(JsonFields.text(node, "status"))) {
                return new ParsedEvent.Ignored(index, "failed call");
            }
            JsonNode metadata = node.path("metadata");
            JsonNode usage = metadata.path("usage_object");
            Long cached = JsonFields.count(usage.path("prompt_tokens_details"), "cached_tokens");
            var extra = new java.util.LinkedHashMap<String, String>();
            String user = firstNonBlank(JsonFields.text(metadata, "user_api_key_user_id"), JsonFields.text(node, "end_user"),
                    JsonFields.text(metadata, "user_api_key_end_user_id"));
            String team = JsonFields.text(metadata, "user_api_key_team_id");
            putIfPresent(extra, "team_id", team);
            if (account != LiteLlmAccount.USER) {
                putIfPresent(extra, "litellm_user", user);
            }
            if (account.account(user, team) == null && account != LiteLlmAccount.USER) {
                return new ParsedEvent.Rejected(index, "missing_field", account == LiteLlmAccount.TEAM
                        ? "this ingest key bills LiteLLM teams and the record has no metadata.user_api_key_team_id"
                        : "the record names neither a user nor a team (metadata.user_api_key_team_id)");
            }
            putIfPresent(extra, "key_alias", JsonFields.text(metadata, "user_api_key_alias"));
            putIfPresent(extra, "model_group", JsonFields.text(node, "model_group"));
            putIfPresent(extra, "litellm_response_cost", JsonFields.text(node, "response_cost"));
            return new ParsedEvent.Candidate(index, new IncomingEvent(
                    JsonFields.text(node, "id"),
                    account.account(user, team),
                    firstNonBlank(JsonFields.text(node, "custom_llm_provider"), JsonFields.text(node, "provider")),
                    JsonFields.text(node, "model"),
                    JsonFields.count(node, "prompt_tokens"),
                    JsonFields.count(node, "completion_tokens"),
                    cached,
                    null,
                    JsonFields.time(node, "startTime"),
                    extra,
                    "litellm"));
        });
    }

    private static List<ParsedEvent> each(List<JsonNode> elements, BiFunction<Integer, JsonNode, ParsedEvent> read) {
        List<ParsedEvent> parsed = new ArrayList<>(elements.size());
        for (int index = 0; index < elements.size(); index++) {
            JsonNode node = elements.get(index);
            if (!node.isObject()) {
                parsed.add(new ParsedEvent.Rejected(index, "not_an_object", "element " + index + " is not a JSON object"));
                continue;
            }
            try {
                parsed.add(read.apply(index, node));
            } catch (IllegalArgumentException e) {
                parsed.add(new ParsedEvent.Rejected(index, "invalid_field", e.getMessage()));
            }
        }
        return parsed;
    }

    private static java.util.Map<String, String> withType(java.util.Map<String, String> metadata, String type) {
        if (type != null) {
            metadata.put("cloudevents_type", type);
        }
        return metadata;
    }

    private static void putIfPresent(java.util.Map<String, String> map, String key, String value) {
        if (value != null && !value.isBlank()) {
            map.put(key, value);
        }
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    private static int firstNonSpace(byte[] body) {
        for (byte b : body) {
            if (!Character.isWhitespace(b)) {
                return b;
            }
        }
        return -1;
    }
}
