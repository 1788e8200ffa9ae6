package io.llmmetering.usageingest.web;

import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.core.keys.IngestKey;
import io.llmmetering.usageingest.events.EventNormalizer;
import io.llmmetering.usageingest.events.MalformedBodyException;
import io.llmmetering.usageingest.events.ParsedEvent;
import io.llmmetering.usageingest.events.UsageFormats;
import io.llmmetering.usageingest.publishing.EventPublisher;
import io.llmmetering.usageingest.publishing.KafkaUnavailableException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import io.llmmetering.core.problems.ProblemType;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The three ingestion endpoints. Each reads the body (bounded), parses it in its format, validates every
 * event, publishes the valid ones and answers only after Kafka acknowledged them. One bad event never costs
 * the good ones: the answer lists exactly which were refused and why.
 */
@RestController
@Tag(name = "Ingest")
final class IngestController {

    static final int MAX_BODY_BYTES = 5 * 1024 * 1024;
    static final int MAX_EVENTS_PER_REQUEST = 10_000;

    private final EventNormalizer normalizer;
    private final EventPublisher publisher;
    private final MeterRegistry registry;
    private final DistributionSummary batchSizes;

    IngestController(EventNormalizer normalizer, EventPublisher publisher, MeterRegistry registry) {
        this.normalizer = normalizer;
        this.publisher = publisher;
        this.registry = registry;
        this.batchSizes = DistributionSummary.builder("ingest.batch.size").register(registry);
    }

    @Operation(operationId = "ingestEvents", summary = "usage events in our JSON (one, or an array) or NDJSON",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = "application/json", array = @ArraySchema(schema = @Schema(implementation = IngestDocument.NativeEvent.class))),
                    @Content(mediaType = "application/x-ndjson", schema = @Schema(type = "string", description = "one event object per line"))}),
            parameters = @Parameter(in = ParameterIn.HEADER, name = "Idempotency-Key", schema = @Schema(type = "string"),
                    description = "makes ids of events sent without event_id stable across retries"),
            responses = {
            @ApiResponse(responseCode = "202", description = "the valid events are stored; refused ones are listed", content = @Content(mediaType = "application/json", schema = @Schema(implementation = IngestDocument.Answer.class))),
            @ApiResponse(responseCode = "400", description = "no event was valid (each refusal listed), malformed-body or no-events", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "401", description = "unauthenticated: no ingest key, or one revoked", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "413", description = "body-too-large (over 5 MiB) or too-many-events (over 10,000)", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "415", description = "unsupported-media-type", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "503", description = "kafka-unavailable or database-unavailable: nothing was stored, retry the whole request (Retry-After)", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class)))})
    @PostMapping("/api/v1/usage/events")
    ResponseEntity<?> nativeEvents(HttpServletRequest request) throws IOException {
        String type = contentType(request);
        if (!type.equals("application/json") && !type.equals("application/x-ndjson")) {
            return unsupported(type, "application/json or application/x-ndjson");
        }
        return ingest(request, () -> UsageFormats.nativeEvents(read(request), type.equals("application/x-ndjson"), key(request).source()),
                (accepted, rejected) -> ResponseEntity.status(accepted == 0 && !rejected.isEmpty() ? HttpStatus.BAD_REQUEST : HttpStatus.ACCEPTED)
                        .body(summary(accepted, 0, rejected)));
    }

    /** OpenMeter's ingestion contract: 204 when every event was taken. */
    @Operation(operationId = "ingestCloudEvents", summary = "usage as CloudEvents, OpenMeter's ingest contract (structured or batch)",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = "application/cloudevents+json", schema = @Schema(implementation = IngestDocument.CloudEvent.class)),
                    @Content(mediaType = "application/cloudevents-batch+json", array = @ArraySchema(schema = @Schema(implementation = IngestDocument.CloudEvent.class)))}),
            responses = {
            @ApiResponse(responseCode = "204", description = "every event is stored"),
            @ApiResponse(responseCode = "400", description = "invalid-events (the good ones are stored; each refusal listed), malformed-body or no-events", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "401", description = "unauthenticated: no ingest key, or one revoked", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "413", description = "body-too-large (over 5 MiB) or too-many-events (over 10,000)", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "415", description = "unsupported-media-type", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "503", description = "kafka-unavailable or database-unavailable: nothing was stored, retry the whole request (Retry-After)", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class)))})
    @PostMapping("/api/v1/events")
    ResponseEntity<?> cloudEvents(HttpServletRequest request) throws IOException {
        String type = contentType(request);
        if (!type.equals("application/cloudevents+json") && !type.equals("application/cloudevents-batch+json")
                && !type.equals("application/json")) {
            return unsupported(type, "application/cloudevents+json or application/cloudevents-batch+json");
        }
        return ingest(request, () -> UsageFormats.cloudEvents(read(request), type.equals("application/cloudevents-batch+json")),
                (accepted, rejected) -> rejected.isEmpty() ? ResponseEntity.noContent().build()
                        : ProblemResponses.problem(ProblemType.INVALID_EVENTS,
                        rejected.size() + " event(s) refused, " + accepted + " accepted", summary(accepted, 0, rejected)));
    }

    /** LiteLLM's generic_api logger, in any of its log formats; failed calls are ignored. */
    @Operation(operationId = "ingestLiteLlm", summary = "LiteLLM generic_api callback payloads (json_array, ndjson or single); failed calls ignored",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = "application/json", array = @ArraySchema(schema = @Schema(implementation = IngestDocument.LiteLlmRecord.class))),
                    @Content(mediaType = "application/x-ndjson", schema = @Schema(type = "string", description = "one payload per line"))}),
            responses = {
            @ApiResponse(responseCode = "200", description = "accepted, ignored (failed calls) and refused records", content = @Content(mediaType = "application/json", schema = @Schema(implementation = IngestDocument.Answer.class))),
            @ApiResponse(responseCode = "400", description = "malformed-body or no-events", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "401", description = "unauthenticated: no ingest key, or one revoked", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "413", description = "body-too-large (over 5 MiB) or too-many-events (over 10,000)", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "415", description = "unsupported-media-type", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class))),
            @ApiResponse(responseCode = "503", description = "kafka-unavailable or database-unavailable: nothing was stored, retry the whole request (Retry-After)", content = @Content(mediaType = ProblemType.MEDIA_TYPE, schema = @Schema(implementation = IngestDocument.Problem.class)))})
    @PostMapping("/api/v1/ingest/litellm")
    ResponseEntity<?> liteLlm(HttpServletRequest request) throws IOException {
        String type = contentType(request);
        if (!type.equals("application/json") && !type.equals("application/x-ndjson") && !type.isEmpty()) {
            return unsupported(type, "application/json or application/x-ndjson");
        }
        List<ParsedEvent>[] parsedHolder = new List[1];
        return ingest(request, () -> parsedHolder[0] = UsageFormats.liteLlm(read(request), key(request).liteLlmAccount()),
                (accepted, rejected) -> ResponseEntity.ok(summary(accepted,
                        (int) parsedHolder[0].stream().filter(ParsedEvent.Ignored.class::isInstance).count(), rejected)));
    }

    private interface Parser {
        List<ParsedEvent> parse() throws IOException;
    }

    private interface Answer {
        ResponseEntity<?> answer(int accepted, List<ParsedEvent.Rejected> rejected);
    }

    private ResponseEntity<?> ingest(HttpServletRequest request, Parser parser, Answer answer) throws IOException {
        List<ParsedEvent> parsed;
        try {
            parsed = parser.parse();
        } catch (BodyTooLargeException e) {
            return ProblemResponses.problem(ProblemType.BODY_TOO_LARGE, e.getMessage());
        } catch (MalformedBodyException e) {
            count("rejected", "malformed_body", 1);
            return ProblemResponses.problem(ProblemType.MALFORMED_BODY, e.getMessage());
        }
        if (parsed.size() > MAX_EVENTS_PER_REQUEST) {
            return ProblemResponses.problem(ProblemType.TOO_MANY_EVENTS,
                    "at most " + MAX_EVENTS_PER_REQUEST + " events per request, got " + parsed.size());
        }
        if (parsed.isEmpty()) {
            return ProblemResponses.problem(ProblemType.NO_EVENTS, "the body holds no events");
        }
        IngestKey key = key(request);
        String idempotencyKey = request.getHeader("Idempotency-Key");
        Instant now = Instant.now();
        List<UsageEvent> valid = new ArrayList<>(parsed.size());
        List<ParsedEvent.Rejected> rejected = new ArrayList<>();
        for (ParsedEvent event : parsed) {
            if (event instanceof ParsedEvent.Candidate candidate) {
                EventNormalizer.Outcome outcome = normalizer.normalize(candidate, idempotencyKey, key.id(), now);
                if (outcome.event() != null) {
                    valid.add(outcome.event());
                } else {
                    rejected.add(outcome.rejection());
                }
            } else if (event instanceof ParsedEvent.Rejected refusal) {
                rejected.add(refusal);
            } else if (event instanceof ParsedEvent.Ignored ignored) {
                count("ignored", ignored.why().replace(' ', '_'), 1);
            }
        }
        if (!valid.isEmpty()) {
            try {
                publisher.publishAll(valid);
            } catch (KafkaUnavailableException e) {
                return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "5")
                        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                        .body(ProblemResponses.problem(ProblemType.KAFKA_UNAVAILABLE,
                                "events could not be stored; retry the whole request (events are deduplicated by id)").getBody());
            }
        }
        batchSizes.record(parsed.size());
        count("accepted", "ok", valid.size());
        rejected.forEach(r -> count("rejected", r.reason(), 1));
        return answer.answer(valid.size(), rejected);
    }

    private void count(String outcome, String reason, int amount) {
        if (amount > 0) {
            registry.counter("ingest.events", "outcome", outcome, "reason", reason).increment(amount);
        }
    }

    private static Map<String, Object> summary(int accepted, int ignored, List<ParsedEvent.Rejected> rejected) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("accepted", accepted);
        if (ignored > 0) {
            body.put("ignored", ignored);
        }
        body.put("rejected", rejected.stream().map(r -> Map.of("index", r.index(), "reason", r.reason(), "detail", r.detail())).toList());
        return body;
    }

    private static ResponseEntity<?> unsupported(String type, String expected) {
        return ProblemResponses.problem(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                "content type '" + type + "' is not accepted here; send " + expected);
    }

    private static String contentType(HttpServletRequest request) {
        String type = request.getContentType();
        return type == null ? "" : type.split(";")[0].strip().toLowerCase(Locale.ROOT);
    }

    /** Fails closed: a request the key filter did not see must never be taken as authenticated. */
    private static IngestKey key(HttpServletRequest request) {
        if (!(request.getAttribute(IngestKeyFilter.INGEST_KEY_ATTRIBUTE) instanceof IngestKey key)) {
            throw new IllegalStateException("no ingest key was checked for " + request.getMethod() + " " + request.getServletPath());
        }
        return key;
    }

    private static byte[] read(HttpServletRequest request) throws IOException {
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            throw new BodyTooLargeException(request.getContentLengthLong());
        }
        try (InputStream body = request.getInputStream()) {
            byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new BodyTooLargeException(bytes.length);
            }
            return bytes;
        }
    }

    static final class BodyTooLargeException extends RuntimeException {
        BodyTooLargeException(long size) {
            super("the body is larger than " + MAX_BODY_BYTES + " bytes" + (size > MAX_BODY_BYTES ? " (" + size + ")" : ""));
        }
    }
}
