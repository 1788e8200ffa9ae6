package io.llmmetering.usageingest.events;

import io.llmmetering.schemas.UsageEventRules;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading the fields of a JSON event leniently (aliases, numbers as text) and bodies strictly (located errors).
 * Nothing is cut here: a value over a bound of {@link UsageEventRules} reaches the rules whole and is refused.
 */
final class JsonFields {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private JsonFields() {
    }

    /** A JSON array, one object, or NDJSON (one object per line); each element with its position. */
    static List<JsonNode> elements(byte[] body, boolean ndjson) {
        if (ndjson) {
            return lines(body);
        }
        JsonNode root = parse(new String(body, StandardCharsets.UTF_8), 0);
        if (root.isArray()) {
            List<JsonNode> elements = new ArrayList<>();
            root.forEach(elements::add);
            return elements;
        }
        if (root.isObject()) {
            return List.of(root);
        }
        throw new MalformedBodyException("body must be a JSON object or an array of objects");
    }

    static List<JsonNode> lines(byte[] body) {
        List<JsonNode> elements = new ArrayList<>();
        String[] lines = new String(body, StandardCharsets.UTF_8).split("\n", -1);
        for (int line = 0; line < lines.length; line++) {
            if (!lines[line].isBlank()) {
                elements.add(parse(lines[line], line + 1));
            }
        }
        return elements;
    }

    private static JsonNode parse(String text, int ndjsonLine) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new MalformedBodyException("body is empty");
            }
            return node;
        } catch (JacksonException e) {
            var location = e.getLocation();
            String where = ndjsonLine > 0 ? "line " + ndjsonLine + ", column " + (location == null ? "?" : location.getColumnNr())
                    : location == null ? "unknown position" : "line " + location.getLineNr() + ", column " + location.getColumnNr();
            throw new MalformedBodyException("malformed JSON at " + where + ": " + e.getOriginalMessage());
        }
    }

    static String text(JsonNode node, String... names) {
        for (String name : names) {
            JsonNode value = node.path(name);
            if (value.isString() || value.isNumber()) {
                return value.asString();
            }
        }
        return null;
    }

    /** An integer count; a non-integer or non-numeric value makes the whole event invalid (reported by the caller). */
    static Long count(JsonNode node, String... names) {
        for (String name : names) {
            JsonNode value = node.path(name);
            if (value.isIntegralNumber()) {
                return value.canConvertToLong() ? value.longValue() : Long.MAX_VALUE;
            }
            if (value.isNumber() || value.isString()) {
                throw new IllegalArgumentException(name + " must be a whole number, was " + value);
            }
        }
        return null;
    }

    /** ISO-8601 text, epoch milliseconds (a number above 10^11) or epoch seconds with a fraction. */
    static Instant time(JsonNode node, String... names) {
        for (String name : names) {
            JsonNode value = node.path(name);
            try {
                if (value.isString()) {
                    return Instant.parse(value.asString());
                }
                if (value.isNumber()) {
                    BigDecimal number = value.decimalValue();
                    return number.compareTo(BigDecimal.valueOf(100_000_000_000L)) > 0
                            ? Instant.ofEpochMilli(number.longValue())
                            : Instant.ofEpochMilli(number.movePointRight(3).longValue());
                }
            } catch (DateTimeParseException | ArithmeticException | JacksonException e) {
                // JacksonException: a number JSON allows but a time cannot be, such as 1e309 (read as Infinity)
                throw new IllegalArgumentException(name + " is not a time: " + value);
            }
        }
        return null;
    }

    static Map<String, String> metadata(JsonNode node) {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (!node.isObject()) {
            return metadata;
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            JsonNode value = entry.getValue();
            if (value.isString() || value.isNumber() || value.isBoolean()) {
                metadata.put(entry.getKey(), value.asString());
            }
        }
        return metadata;
    }
}
