package io.llmmetering.usageingest.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated payloads for every ingest format, from a printed seed so a failure can be replayed: bytes flipped,
 * cut, duplicated and inserted, values swapped for hostile ones. Whatever arrives, ingest answers with a
 * decision (accepted, or refused with a reason) and never with a 500 or a hang.
 */
@Tag("integration")
@Tag("security")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class IngestFuzzTest {

    private static final IngestServiceFixture FIXTURE = new IngestServiceFixture();
    private static final String STRUCTURAL = "\"\\{}[],:";
    /** 200 is LiteLLM's: its logger gets a summary whatever happened to each entry, refusals listed with reasons. */
    private static final Set<Integer> DECISIONS = Set.of(200, 202, 204, 400, 413, 415);
    private static final List<String> HOSTILE = List.of("-1", "1e309", "NaN", "null", "true", "\"\"", "[]", "{}", "\"x\"",
            "99999999999999999999999999", "-0", "0.5", "\"'; DROP TABLE usage_events; --\"", "\"\\u0000\"", "\"" + "a".repeat(5000) + "\"");

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> FIXTURE.jdbcUrl);
        registry.add("ingest.bootstrap-servers", FIXTURE.broker::bootstrapServers);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        FIXTURE.close();
    }

    @LocalServerPort
    int port;

    private static String fixture(String name) throws Exception {
        try (InputStream in = IngestFuzzTest.class.getResourceAsStream("/fixtures/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private record Format(String path, String contentType, String sample) {
    }

    @Test
    void mutatedPayloadsOfEveryFormatGetADecisionNeverAServerError() throws Exception {
        long seed = System.getProperty("fuzz.seed") == null ? System.nanoTime() : Long.parseLong(System.getProperty("fuzz.seed"));
        System.out.println("[fuzz] seed " + seed + " (replay with -Dfuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        String nativeSample = "[{\"event_id\":\"fz-1\",\"user_id\":\"u1\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":1000,"
                + "\"output_tokens\":200,\"power_level\":\"balanced\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}]";
        List<Format> formats = List.of(
                new Format("/api/v1/usage/events", "application/json", nativeSample),
                new Format("/api/v1/usage/events", "application/x-ndjson", nativeSample.substring(1, nativeSample.length() - 1) + "\n"),
                new Format("/api/v1/events", "application/cloudevents-batch+json", fixture("openmeter-cloudevents-batch.json")),
                new Format("/api/v1/ingest/litellm", "application/json", fixture("litellm-generic-api-array.json")));
        int requests = 0;
        for (Format format : formats) {
            for (int i = 0; i < 120; i++) {
                String body = mutate(format.sample(), random);
                HttpResponse<String> response = FIXTURE.post(port, format.path(), format.contentType(), body);
                requests++;
                assertThat(response.statusCode()).as("seed %d, %s, body: %s", seed, format.path(),
                        body.length() > 300 ? body.substring(0, 300) + "..." : body).isIn(DECISIONS);
                if (response.statusCode() >= 400) {
                    // a problem+json, or the per-event summary that names each refused event and why
                    assertThat(response.body()).as("seed %d", seed).containsAnyOf("https://llm-metering.dev/problems/", "\"rejected\":[{");
                }
            }
        }
        System.out.println("[fuzz] " + requests + " mutated requests, every one answered with a decision");
    }

    /** One to three random mutations of the sample. */
    private static String mutate(String sample, Random random) {
        StringBuilder text = new StringBuilder(sample);
        for (int n = 1 + random.nextInt(3); n > 0 && text.length() > 0; n--) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(8)) {
                case 0 -> text.setCharAt(at, (char) (32 + random.nextInt(95)));                  // flip a character
                case 1 -> text.setLength(at);                                                    // cut
                case 2 -> text.insert(at, text.substring(at, Math.min(text.length(), at + 1 + random.nextInt(40)))); // duplicate a stretch
                case 3 -> text.insert(at, STRUCTURAL.charAt(random.nextInt(STRUCTURAL.length())));  // a structural character
                case 4 -> {                                                                     // a value swapped for a hostile one
                    int colon = text.indexOf(":", at);
                    int end = colon < 0 ? -1 : nextDelimiter(text, colon + 1);
                    if (end > colon && colon >= 0) {
                        text.replace(colon + 1, end, HOSTILE.get(random.nextInt(HOSTILE.size())));
                    }
                }
                case 5 -> text.insert(at, "[".repeat(200 + random.nextInt(2000)));               // deep nesting
                case 6 -> text.insert(at, new String(new char[]{(char) random.nextInt(0x3000)})); // any code point
                default -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(20))); // delete a stretch
            }
        }
        return text.toString();
    }

    private static int nextDelimiter(CharSequence text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',' || c == '}' || c == ']') {
                return i;
            }
        }
        return -1;
    }
}
