package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.deadletters.DeadLetter;
import io.llmmetering.creditapi.deadletters.DeadLetterArchive;
import io.llmmetering.creditapi.deadletters.DeadLetterReplay;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.core.problems.ProblemType;
import io.llmmetering.schemas.Topics;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Dead letters an operator can see, fix and replay: the archive of {@code usage.events.dlq} and
 * {@code credit.debits.dlq}, the models events were refused for, and the replay to their source topic.
 */
@RestController
@Tag(name = "DeadLetters")
final class DeadLettersController {

    private static final Set<String> TOPICS = Set.of(Topics.USAGE_EVENTS_DLQ, Topics.CREDIT_DEBITS_DLQ);
    private static final int MAX_FILTER_TEXT = 256;

    private final DeadLetterArchive archive;
    private final DeadLetterReplay replay;
    private final PriceBookFeed prices;

    DeadLettersController(DeadLetterArchive archive, DeadLetterReplay replay, PriceBookFeed prices) {
        this.archive = archive;
        this.replay = replay;
        this.prices = prices;
    }

    record SourceView(String topic, Integer partition, Long offset) {
    }

    record EventView(String eventId, String userId, String model, String provider, Long inputTokens, Long outputTokens,
                     Long cachedInputTokens, Instant occurredAt) {
    }

    record ReplayedView(String replayId, Instant replayedAt, String replayedBy) {
    }

    record DeadLetterView(String id, String topic, int partition, long offset, String reason, String error, SourceView source,
                          String processor, Instant failedAt, EventView event, ReplayedView replayed) {
    }

    record ReasonCountView(String reason, long total, long notReplayed) {
    }

    record DeadLetterPage(List<DeadLetterView> deadLetters, List<ReasonCountView> countsByReason, String nextCursor) {
    }

    @Operation(operationId = "listDeadLetters", summary = "dead letters of usage.events.dlq and credit.debits.dlq, newest first (topic, reason, model, from, limit ≤ 500, cursor), with counts by reason")
    @GetMapping("/api/v1/admin/dead-letters")
    DeadLetterPage list(@RequestParam(required = false) String topic, @RequestParam(required = false) String reason,
                        @RequestParam(required = false) String model, @RequestParam(required = false) String from,
                        @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) throws SQLException {
        DeadLetterArchive.Filter filter = filter(topic, reason, model, from);
        int size = limit == null ? 100 : limit;
        if (size < 1 || size > DeadLetterArchive.MAX_PAGE) {
            throw ApiProblem.validation("limit", "limit must be between 1 and " + DeadLetterArchive.MAX_PAGE);
        }
        DeadLetterArchive.Page page = archive.list(filter, cursor == null ? Optional.empty() : Optional.of(id("cursor", cursor)), size);
        // counts cover every reason under the other filters, so the reason filter does not hide the rest
        DeadLetterArchive.Filter allReasons = new DeadLetterArchive.Filter(filter.topic(), Optional.empty(), filter.model(), filter.from());
        return new DeadLetterPage(page.deadLetters().stream().map(DeadLettersController::view).toList(),
                archive.countByReason(allReasons).stream().map(c -> new ReasonCountView(c.reason(), c.total(), c.notReplayed())).toList(),
                page.nextCursor().map(String::valueOf).orElse(null));
    }

    record ReplayRequest(String topic, String reason, String model, String from, List<String> ids) {
    }

    record ReplayView(String replayId, Instant replayedAt, int replayed, Map<String, Integer> byTopic, boolean more) {
    }

    @Operation(operationId = "replayDeadLetters", summary = "send the selected dead letters (reason, model, topic, from or ids) back to their source topic, unchanged; recorded, never offered twice")
    @PostMapping(path = "/api/v1/admin/dead-letters/replay", consumes = MediaType.APPLICATION_JSON_VALUE)
    ReplayView replay(@AuthenticationPrincipal Jwt admin, @RequestBody ReplayRequest request) throws SQLException {
        DeadLetterArchive.Filter filter = filter(request.topic(), request.reason(), request.model(), request.from());
        Optional<List<Long>> ids = Optional.empty();
        if (request.ids() != null) {
            if (request.ids().isEmpty() || request.ids().size() > DeadLetterReplay.MAX_IDS) {
                throw ApiProblem.validation("ids", "ids must hold 1-" + DeadLetterReplay.MAX_IDS + " dead-letter ids");
            }
            ids = Optional.of(request.ids().stream().map(id -> id("ids", id)).toList());
        }
        DeadLetterReplay.Selection selection;
        try {
            selection = new DeadLetterReplay.Selection(filter, ids);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("body", e.getMessage());
        }
        try {
            DeadLetterReplay.Result result = replay.replay(selection, admin.getSubject());
            return new ReplayView(result.replayId().map(String::valueOf).orElse(null), result.at().orElse(null), result.replayed(),
                    result.byTopic(), result.more());
        } catch (DeadLetterReplay.ReplayFailedException e) {
            throw new ApiProblem(ProblemType.KAFKA_UNAVAILABLE,
                    "the replay was not acknowledged by Kafka and nothing was marked replayed; it is safe to send again");
        }
    }

    record UnknownModelView(String model, long events, long notReplayed, long users, Instant firstSeen, Instant lastSeen,
                            boolean pricedNow) {
    }

    record UnknownModels(List<UnknownModelView> models) {
    }

    @Operation(operationId = "listUnknownModels", summary = "models events were dead-lettered for having no price: events, not yet replayed, users, first and last seen, priced_now")
    @GetMapping("/api/v1/admin/pricing/unknown-models")
    UnknownModels unknownModels() throws SQLException {
        var book = prices.priceBook();
        return new UnknownModels(archive.unknownModels().stream().map(m -> new UnknownModelView(m.model(), m.events(), m.notReplayed(),
                m.users(), m.firstSeen(), m.lastSeen(), book.hasModel(m.model()))).toList());
    }

    private static DeadLetterArchive.Filter filter(String topic, String reason, String model, String from) {
        Optional<String> topicName = Inputs.optionalText("topic", topic, MAX_FILTER_TEXT);
        if (topicName.isPresent() && !TOPICS.contains(topicName.get())) {
            throw ApiProblem.validation("topic", "topic must be one of " + TOPICS.stream().sorted().toList());
        }
        return new DeadLetterArchive.Filter(topicName, Inputs.optionalText("reason", reason, MAX_FILTER_TEXT),
                Inputs.optionalText("model", model, MAX_FILTER_TEXT),
                Optional.ofNullable(from == null ? null : ApiViews.instant("from", from, null)));
    }

    private static long id(String field, String text) {
        try {
            long id = Long.parseLong(text);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.validation(field, field + " must hold dead-letter ids as returned by the listing");
    }

    private static DeadLetterView view(DeadLetter letter) {
        return new DeadLetterView(String.valueOf(letter.id()), letter.topic(), letter.partition(), letter.offset(), letter.reason(),
                letter.error(), new SourceView(letter.source().topic(), letter.source().partition(), letter.source().offset()),
                letter.processor(), letter.failedAt(),
                letter.event().map(e -> new EventView(e.eventId(), e.userId(), e.model(), e.provider(), e.inputTokens(), e.outputTokens(),
                        e.cachedInputTokens(), e.occurredAt())).orElse(null),
                letter.replayed().map(r -> new ReplayedView(String.valueOf(r.replayId()), r.at(), r.by())).orElse(null));
    }
}
