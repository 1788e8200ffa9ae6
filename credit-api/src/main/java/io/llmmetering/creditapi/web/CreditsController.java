package io.llmmetering.creditapi.web;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.core.pricing.PowerLevel;
import io.llmmetering.core.pricing.TokenUsage;
import io.llmmetering.creditapi.accounts.Account;
import io.llmmetering.creditapi.accounts.AccountQueries;
import io.llmmetering.creditapi.accounts.CreditLedger;
import io.llmmetering.creditapi.spending.Spending;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.analytics.UsageAnalytics;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.creditapi.config.CreditApiProperties;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** What users do with their own account. The caller is always the token's subject: no endpoint takes a user id. */
@RestController
@Tag(name = "Credits")
final class CreditsController {

    static final int MAX_METADATA_BYTES = 8 * 1024;

    private final AccountQueries accounts;
    private final CreditLedger ledger;
    private final Spending spending;
    private final UsageAnalytics usage;
    private final PriceBookFeed prices;
    private final boolean creditSystemEnabled;
    private final JsonMapper json = JsonMapper.builder().build();

    CreditsController(AccountQueries accounts, CreditLedger ledger, Spending spending, UsageAnalytics usage, PriceBookFeed prices,
                      CreditApiProperties properties) {
        this.accounts = accounts;
        this.usage = usage;
        this.ledger = ledger;
        this.spending = spending;
        this.prices = prices;
        this.creditSystemEnabled = properties.systemEnabled();
    }

    @Operation(operationId = "getMyBalance", summary = "balance, tier, monthly cap, this month's spend, status")
    @GetMapping("/api/v1/credits/balance")
    Responses.Balance balance(@AuthenticationPrincipal Jwt caller) throws SQLException {
        return ApiViews.balance(accounts.account(caller.getSubject()));
    }

    record CostRequest(Long tokensUsed, Long inputTokens, Long outputTokens, Long cachedInputTokens, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String model, String powerLevel) {
    }

    /** A price quote: at the caller's tier with a token, at the free tier without one. Nothing is charged. */
    @Operation(operationId = "calculateCost", summary = "price quote; at the caller's tier with a token")
    @PostMapping(path = "/api/v1/credits/calculate-cost", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Cost calculateCost(@AuthenticationPrincipal Jwt caller, @RequestBody CostRequest request) throws SQLException {
        String model = Inputs.requiredText("model", request.model(), 200);
        String powerLevel = request.powerLevel() == null ? PowerLevel.DEFAULT_NAME : request.powerLevel();
        String tier = caller == null ? "free" : accounts.storedAccount(caller.getSubject()).map(Account::tier).orElse("free");
        CostCalculator calculator = new CostCalculator(prices.priceBook());
        Credits cost;
        if (request.tokensUsed() != null) {
            if (request.inputTokens() != null || request.outputTokens() != null) {
                throw ApiProblem.validation("tokens_used", "send either tokens_used or input_tokens/output_tokens, not both");
            }
            cost = calculator.costOfTokens(model, request.tokensUsed(), powerLevel, tier);
        } else if (request.inputTokens() != null || request.outputTokens() != null) {
            TokenUsage usage = new TokenUsage(orZero(request.inputTokens()), orZero(request.outputTokens()), orZero(request.cachedInputTokens()));
            cost = calculator.costOfUsage(model, usage, powerLevel, tier);
        } else {
            throw ApiProblem.validation("tokens_used", "tokens_used (or input_tokens and output_tokens) is required");
        }
        return new Responses.Cost(Inputs.amount(cost));
    }

    private static long orZero(Long count) {
        return count == null ? 0 : count;
    }

    @Operation(operationId = "getPricing", summary = "model prices, tier markups, power levels, the formula")
    @GetMapping("/api/v1/credits/pricing")
    Responses.Pricing pricing() {
        return ApiViews.pricing(prices.priceBook(), prices.snapshot().versionByModel());
    }

    record DeductRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal amount, String reason, Map<String, Object> metadata) {
    }

    /**
     * A synchronous debit for callers that do not publish usage to Kafka. Refused with 402 (and nothing
     * charged) when it would overdraw, pass the monthly cap or spend from a suspended account.
     */
    @Operation(operationId = "deduct", summary = "synchronous debit; Idempotency-Key; 402 when it cannot be paid")
    @PostMapping(path = "/api/v1/credits/deduct", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Receipt deduct(@AuthenticationPrincipal Jwt caller, @RequestBody DeductRequest request,
                               @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) throws SQLException {
        Credits amount = Inputs.positiveAmount("amount", request.amount());
        Optional<String> key = Inputs.idempotencyKey(idempotencyKey);
        String reason = Inputs.optionalText("reason", request.reason(), 1000).orElse("API deduction");
        UsageDetails usage = usageDetails(request.metadata());
        if (!creditSystemEnabled) {
            return new Responses.Receipt(Inputs.amount(accounts.account(caller.getSubject()).balance()), null, null, null, null, false,
                    "CREDIT_SYSTEM_ENABLED=false: nothing was deducted");
        }
        return Responses.Receipt.of(spending.deduct(caller.getSubject(), amount, reason, usage, key));
    }

    private UsageDetails usageDetails(Map<String, Object> metadata) {
        if (metadata == null) {
            return UsageDetails.none();
        }
        String text = json.writeValueAsString(metadata);
        if (text.length() > MAX_METADATA_BYTES) {
            throw ApiProblem.validation("metadata", "metadata must be at most " + MAX_METADATA_BYTES + " bytes of JSON");
        }
        OptionalLong tokens = OptionalLong.empty();
        Object tokensUsed = metadata.get("tokens_used");
        if (tokensUsed != null) {
            boolean whole = tokensUsed instanceof Integer || tokensUsed instanceof Long;
            if (!whole || ((Number) tokensUsed).longValue() < 0 || ((Number) tokensUsed).longValue() > TokenUsage.MAX_TOKENS_PER_CALL) {
                throw ApiProblem.validation("metadata.tokens_used", "metadata.tokens_used must be a whole number from 0 to "
                        + TokenUsage.MAX_TOKENS_PER_CALL);
            }
            tokens = OptionalLong.of(((Number) tokensUsed).longValue());
        }
        return new UsageDetails(metadataText("provider", metadata.get("provider")), metadataText("model", metadata.get("model")), tokens,
                metadataText("power_level", metadata.get("power_level")), text);
    }

    private static Optional<String> metadataText(String field, Object value) {
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String text)) {
            throw ApiProblem.validation("metadata." + field, "metadata." + field + " must be a string");
        }
        return Inputs.optionalText("metadata." + field, text, 200);
    }

    @Operation(operationId = "listMyTransactions", summary = "the ledger, newest first; limit, cursor, type, from, to")
    @GetMapping("/api/v1/credits/transactions")
    Responses.Transactions transactions(@AuthenticationPrincipal Jwt caller, @RequestParam(required = false) Integer limit,
                                     @RequestParam(required = false) String cursor, @RequestParam(required = false) String type,
                                     @RequestParam(required = false) String from, @RequestParam(required = false) String to)
            throws SQLException {
        return ApiViews.transactions(accounts.transactions(caller.getSubject(), ApiViews.transactionQuery(limit, cursor, type, from, to)));
    }

    /** The caller's usage: {@code ?group_by=model|provider|hour|day&from=&to=&limit=}. */
    @Operation(operationId = "getMyUsage", summary = "usage by group_by = model, provider, hour or day; from, to, limit")
    @GetMapping("/api/v1/credits/usage")
    Responses.Usage usage(@AuthenticationPrincipal Jwt caller, @RequestParam(name = "group_by", required = false) String groupBy,
                          @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                          @RequestParam(required = false) Integer limit) throws SQLException {
        return ApiViews.usage(usage, Optional.of(caller.getSubject()), groupBy, from, to, limit);
    }

    record RedeemRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String code) {
    }

    @Operation(operationId = "redeemCoupon", summary = "redeem a coupon code once")
    @PostMapping(path = "/api/v1/credits/coupons/redeem", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Receipt redeem(@AuthenticationPrincipal Jwt caller, @RequestBody RedeemRequest request) throws SQLException {
        String code = Inputs.requiredText("code", request.code(), 64);
        if (!code.matches("[A-Za-z0-9_-]{3,64}")) {
            throw ApiProblem.validation("code", "code must be 3-64 letters, digits, '-' or '_'");
        }
        var receipt = ledger.redeem(caller.getSubject(), code);
        return Responses.Receipt.of(receipt).withCoupon(Inputs.amount(receipt.amount()), code);
    }
}
