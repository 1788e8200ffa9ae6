package io.llmmetering.usageingest.web;

import io.llmmetering.testsupport.PayloadMutator;
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
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated payloads for every ingest format, from a printed seed so a failure can be replayed: bytes flipped,
 * cut, duplicated and inserted, values swapped for hostile ones. Whatever arrives, ingest answers with a
 * decision (accepted, or refused with a reason) and never with a 500 or a hang.
 */
@Tag("integration")
@Tag("security")
@Tag("fuzz")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class IngestFuzzTest {

    private static final IngestServiceFixture FIXTURE = new IngestServiceFixture();
    /** 200 is LiteLLM's: its logger gets a summary whatever happened to each entry, refusals listed with reasons. */
    private static final Set<Integer> DECISIONS = Set.of(200, 202, 204, 400, 413, 415);

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> FIXTURE.jdbcUrl);
        registry.add("spring.kafka.bootstrap-servers", FIXTURE.broker::bootstrapServers);
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
        PayloadMutator fuzz = PayloadMutator.fromSystemProperty("ingest");
        String nativeSample = "[{\"event_id\":\"fz-1\",\"user_id\":\"u1\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":1000,"
                + "\"output_tokens\":200,\"power_level\":\"balanced\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}]";
        List<Format> formats = List.of(
                new Format("/api/v1/usage/events", "application/json", nativeSample),
                new Format("/api/v1/usage/events", "application/x-ndjson", nativeSample.substring(1, nativeSample.length() - 1) + "\n"),
                new Format("/api/v1/events", "application/cloudevents-batch+json", fixture("openmeter-cloudevents-batch.json")),
                new Format("/api/v1/ingest/litellm", "application/json", fixture("litellm-generic-api-array.json")));
        fuzz.run(PayloadMutator.payloads(480), 4, i -> {
            Format format = formats.get(i % formats.size());
            String body = PayloadMutator.mutate(format.sample(), fuzz.payload(i));
            HttpResponse<String> response = FIXTURE.post(port, format.path(), format.contentType(), body);
            fuzz.answered(response.statusCode());
            assertThat(response.statusCode()).as("%s, body: %s", format.path(),
                    body.length() > 300 ? body.substring(0, 300) + "..." : body).isIn(DECISIONS);
            if (response.statusCode() >= 400) {
                // a problem+json, or the per-event summary that names each refused event and why
                assertThat(response.body()).containsAnyOf("https://llm-metering.dev/problems/", "\"rejected\":[{");
            }
        });
        System.out.println("[fuzz] ingest " + fuzz.summary() + "; every one answered with a decision");
    }
}
