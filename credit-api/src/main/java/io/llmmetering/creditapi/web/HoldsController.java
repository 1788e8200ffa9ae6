package io.llmmetering.creditapi.web;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.core.pricing.PowerLevel;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.creditapi.accounts.Account;
import io.llmmetering.creditapi.accounts.AccountQueries;
import io.llmmetering.creditapi.auth.Roles;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.creditapi.holds.SpendHolds;
import io.llmmetering.creditapi.spending.Spending;
import io.llmmetering.creditapi.config.CreditApiProperties;
import io.llmmetering.core.problems.ProblemType;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;

/**
 * Holds and the authorization check, for proxies. A {@code service} or {@code admin} token or a proxy's ingest
 * key may act for any user (and must name one); a user token only for its own account. A hold is voided only by
 * the credential that placed it, an admin or a service; authorize tells an ingest key {@code allowed} and the
 * reason, not the user's {@code available} credit.
 */
@RestController
@Tag(name = "Holds")
final class HoldsController {

    static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
    static final Duration MAX_TTL = Duration.ofHours(1);

    private final SpendHolds holds;
    private final Spending spending;
    private final AccountQueries accounts;
    private final PriceBookFeed prices;
    private final boolean creditSystemEnabled;

    HoldsController(SpendHolds holds, Spending spending, AccountQueries accounts, PriceBookFeed prices, CreditApiProperties properties) {
        this.holds = holds;
        this.spending = spending;
        this.accounts = accounts;
        this.prices = prices;
        this.creditSystemEnabled = properties.systemEnabled();
    }

    record HoldRequest(String userId, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String requestId, BigDecimal estimatedCost, String model, Long maxTokens, Long inputTokens,
                       String powerLevel, Integer ttlSeconds) {
    }

    @Operation(operationId = "placeHold", summary = "reserve an estimated cost before an LLM call")
    @PostMapping(path = "/api/v1/credits/holds", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @ApiResponse(responseCode = "200", description = "the hold placed before with this request_id (replayed: true)")
    ResponseEntity<Responses.Hold> place(Authentication caller, @RequestBody HoldRequest request) throws SQLException {
        String userId = actingFor(caller, request.userId());
        String requestId = Inputs.requiredText("request_id", request.requestId(), 255);
        Duration ttl = request.ttlSeconds() == null ? DEFAULT_TTL : Duration.ofSeconds(request.ttlSeconds());
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw ApiProblem.validation("ttl_seconds", "ttl_seconds must be 1-" + MAX_TTL.toSeconds());
        }
        Credits estimate = estimate(userId, request);
        if (!creditSystemEnabled) {
            return ResponseEntity.status(HttpStatus.CREATED).body(Responses.Hold.unmetered());
        }
        SpendHolds.Hold hold = spending.placeHold(userId, requestId, estimate, ttl, caller.getName());
        return ResponseEntity.status(hold.replayed() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(new Responses.Hold(hold.id().toString(), hold.status().equals("active"), Inputs.amount(hold.available()),
                        Inputs.amount(hold.amount()), hold.expiresAt().toString(), hold.status(), hold.replayed() ? true : null, null));
    }

    private Credits estimate(String userId, HoldRequest request) throws SQLException {
        if (request.estimatedCost() != null) {
            if (request.model() != null || request.maxTokens() != null) {
                throw ApiProblem.validation("estimated_cost", "send either estimated_cost or model and max_tokens, not both");
            }
            return Inputs.positiveAmount("estimated_cost", request.estimatedCost());
        }
        if (request.model() == null || request.maxTokens() == null) {
            throw ApiProblem.validation("estimated_cost", "estimated_cost (or model and max_tokens) is required");
        }
        String tier = accounts.storedAccount(userId).map(Account::tier).orElse("free");
        // the most the call can cost: its prompt and every output token it may generate
        TokenUsage worstCase = new TokenUsage(request.inputTokens() == null ? 0 : request.inputTokens(), request.maxTokens(), 0);
        Credits cost = new CostCalculator(prices.priceBook()).costOfUsage(Inputs.requiredText("model", request.model(), 200), worstCase,
                request.powerLevel() == null ? PowerLevel.DEFAULT_NAME : request.powerLevel(), tier);
        if (!cost.isPositive()) {
            throw ApiProblem.validation("max_tokens", "the estimate must be positive: max_tokens must be at least 1");
        }
        return cost;
    }

    @Operation(operationId = "voidHold", summary = "void a hold (the call failed)")
    @DeleteMapping("/api/v1/credits/holds/{id}")
    Responses.VoidedHold voidHold(Authentication caller, @PathVariable String id) throws SQLException {
        UUID holdId;
        try {
            holdId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("id", "id must be a UUID");
        }
        // A hold is voided by the credential that placed it, or by an admin or service token: a leaked ingest key
        // must not release the holds another proxy placed. One the caller may not touch is reported as missing,
        // not forbidden: its existence is not the caller's business.
        SpendHolds.Holder holder = holds.holderOf(holdId)
                .filter(h -> Roles.isAdminOrService(caller) || caller.getName().equals(h.createdBy()))
                .orElseThrow(() -> ApiProblem.notFound("no hold with this id"));
        return new Responses.VoidedHold(holdId.toString(), spending.voidHold(holdId, holder.userId()));
    }

    @Operation(operationId = "authorize", summary = "may this account spend this much now? (read-only)")
    @GetMapping("/api/v1/credits/authorize")
    Responses.Authorization authorize(Authentication caller, @RequestParam(name = "user_id", required = false) String userId,
                                      @RequestParam(name = "estimated_cost", required = false) BigDecimal estimatedCost) throws SQLException {
        String user = actingFor(caller, userId);
        Credits estimate = estimatedCost == null ? Credits.ZERO
                : estimatedCost.signum() == 0 ? Credits.ZERO : Inputs.positiveAmount("estimated_cost", estimatedCost);
        if (!creditSystemEnabled) {
            return Responses.Authorization.unmetered();
        }
        SpendHolds.Authorization check = spending.authorize(user, estimate);
        // a proxy's ingest key learns whether the call may go ahead and why not, never how much a user has left
        BigDecimal available = Roles.isIngestKey(caller) ? null : Inputs.amount(check.available());
        return new Responses.Authorization(check.allowed(), available,
                check.reason().map(reason -> reason.name().toLowerCase(java.util.Locale.ROOT)), null);
    }

    /** The account a request acts on: any for services and admins, only the caller's own for users. */
    private static String actingFor(Authentication caller, String requested) {
        if (requested == null) {
            if (!Roles.isPerson(caller)) {
                throw ApiProblem.validation("user_id", "user_id is required: a service token or ingest key has no account of its own");
            }
            return caller.getName();
        }
        String userId = Inputs.userId("user_id", requested);
        if (!mayActFor(caller, userId)) {
            throw new ApiProblem(ProblemType.FORBIDDEN, "a user token can only act for its own account");
        }
        return userId;
    }

    private static boolean mayActFor(Authentication caller, String userId) {
        return userId.equals(caller.getName()) || Roles.actsForAnyUser(caller);
    }
}
