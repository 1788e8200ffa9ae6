package io.llmmetering.creditapi.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.creditapi.accounts.AccountQueries;
import io.llmmetering.creditapi.accounts.AccountSettings;
import io.llmmetering.creditapi.accounts.CreditLedger;
import io.llmmetering.creditapi.analytics.UsageAnalytics;
import io.llmmetering.creditapi.controlplane.ControlPlanePublisher;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.pricing.PriceBookRecords;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Admin operations (role {@code admin}, enforced for the whole /api/v1/admin tree by the security filter chain). */
@RestController
@Tag(name = "Accounts")
final class AdminController {

    private final CreditLedger ledger;
    private final AccountQueries accounts;
    private final AccountSettings settings;
    private final UsageAnalytics usage;
    private final PriceBookFeed prices;
    private final ControlPlanePublisher publisher;

    AdminController(CreditLedger ledger, AccountQueries accounts, AccountSettings settings, UsageAnalytics usage, PriceBookFeed prices,
                    ControlPlanePublisher publisher) {
        this.usage = usage;
        this.ledger = ledger;
        this.accounts = accounts;
        this.settings = settings;
        this.prices = prices;
        this.publisher = publisher;
    }

    record AllocateRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String userId, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal amount, String reason) {
    }

    @Operation(operationId = "allocateCredits", summary = "credit an account; Idempotency-Key")
    @PostMapping(path = "/api/v1/admin/credits/allocate", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Receipt allocate(@AuthenticationPrincipal Jwt admin, @RequestBody AllocateRequest request,
                                 @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) throws SQLException {
        String userId = Inputs.userId("user_id", request.userId());
        Credits amount = Inputs.positiveAmount("amount", request.amount());
        String reason = Inputs.optionalText("reason", request.reason(), 1000).orElse("allocation");
        return Responses.Receipt.of(ledger.credit(userId, amount, "allocation", reason, admin.getSubject(), Inputs.idempotencyKey(idempotencyKey)));
    }

    @Operation(operationId = "getUserBalance", summary = "any account's balance")
    @GetMapping("/api/v1/admin/users/{userId}/balance")
    Responses.Balance balance(@PathVariable String userId) throws SQLException {
        return ApiViews.balance(accounts.account(Inputs.userId("user_id", userId)));
    }

    @Operation(operationId = "listUserTransactions", summary = "any account's ledger")
    @GetMapping("/api/v1/admin/users/{userId}/transactions")
    Responses.Transactions transactions(@PathVariable String userId, @RequestParam(required = false) Integer limit,
                                     @RequestParam(required = false) String cursor, @RequestParam(required = false) String type,
                                     @RequestParam(required = false) String from, @RequestParam(required = false) String to)
            throws SQLException {
        return ApiViews.transactions(accounts.transactions(Inputs.userId("user_id", userId),
                ApiViews.transactionQuery(limit, cursor, type, from, to)));
    }

    @Operation(operationId = "getUserUsage", summary = "any account's usage")
    @GetMapping("/api/v1/admin/users/{userId}/usage")
    Responses.Usage userUsage(@PathVariable String userId, @RequestParam(name = "group_by", required = false) String groupBy,
                              @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                              @RequestParam(required = false) Integer limit) throws SQLException {
        return ApiViews.usage(usage, Optional.of(Inputs.userId("user_id", userId)), groupBy, from, to, limit);
    }

    /** The whole platform: {@code ?group_by=user} lists the top spenders. */
    @Operation(operationId = "getPlatformUsage", summary = "platform usage; group_by=user lists the top spenders")
    @GetMapping("/api/v1/admin/usage")
    Responses.Usage platformUsage(@RequestParam(name = "group_by", required = false) String groupBy,
                                  @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                                  @RequestParam(required = false) Integer limit) throws SQLException {
        return ApiViews.usage(usage, Optional.empty(), groupBy == null ? "user" : groupBy, from, to, limit);
    }

    record TierRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String tier) {
    }

    @Operation(operationId = "setUserTier", summary = "set the tier (published to credit.accounts)")
    @PutMapping(path = "/api/v1/admin/users/{userId}/tier", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.AccountSettings setTier(@PathVariable String userId, @RequestBody TierRequest request) throws Exception {
        String tier = Inputs.name("tier", request.tier());
        prices.priceBook().tier(tier); // unknown tiers fail here, naming the known ones
        return published(settings.setTier(Inputs.userId("user_id", userId), tier));
    }

    record MonthlyCapRequest(BigDecimal monthlyCap) {
    }

    /** {@code {"monthly_cap": null}} removes the cap. */
    @Operation(operationId = "setUserMonthlyCap", summary = "set or remove (null) the monthly cap")
    @PutMapping(path = "/api/v1/admin/users/{userId}/monthly-cap", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.AccountSettings setMonthlyCap(@PathVariable String userId, @RequestBody MonthlyCapRequest request) throws Exception {
        Optional<Credits> cap = request.monthlyCap() == null ? Optional.empty() : Optional.of(Inputs.positiveAmount("monthly_cap", request.monthlyCap()));
        return published(settings.setMonthlyCap(Inputs.userId("user_id", userId), cap));
    }

    @Operation(operationId = "suspendUser", summary = "refuse the account's deducts and holds")
    @PostMapping("/api/v1/admin/users/{userId}/suspend")
    Responses.AccountSettings suspend(@PathVariable String userId) throws Exception {
        return published(settings.setStatus(Inputs.userId("user_id", userId), "suspended"));
    }

    @Operation(operationId = "resumeUser", summary = "lift a suspension")
    @PostMapping("/api/v1/admin/users/{userId}/resume")
    Responses.AccountSettings resume(@PathVariable String userId) throws Exception {
        return published(settings.setStatus(Inputs.userId("user_id", userId), "active"));
    }

    private Responses.AccountSettings published(AccountState state) throws ControlPlanePublisher.PublishFailedException {
        publisher.publish(state);
        return new Responses.AccountSettings(state.getUserId(), state.getTier(),
                state.getMonthlyCapNanos() == null ? null : Inputs.amount(Credits.ofNanos(state.getMonthlyCapNanos())), state.getStatus());
    }

    @Operation(operationId = "getPriceBook", summary = "the price book in force")
    @GetMapping("/api/v1/admin/pricing")
    Responses.Pricing pricing() {
        return ApiViews.pricing(prices.priceBook(), prices.snapshot().versionByModel());
    }

    /** Snake case does not split digits from letters, so the per-1K names are spelled out. */
    record ModelPriceRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String provider, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) @JsonProperty("input_per_1k") BigDecimal inputPer1k,
                             @Schema(requiredMode = Schema.RequiredMode.REQUIRED) @JsonProperty("output_per_1k") BigDecimal outputPer1k,
                             @JsonProperty("cached_input_per_1k") BigDecimal cachedInputPer1k,
                             @JsonProperty("blended_per_1k") BigDecimal blendedPer1k, List<String> aliases) {
    }

    /**
     * Sets one model's price by publishing it to {@code pricing.models}: the topology prices the events after it
     * with the new price (recorded as a new price version), and this API quotes it once its feed has read it.
     */
    @Operation(operationId = "setModelPrice", summary = "set one model's price (published to pricing.models)")
    @PutMapping(path = "/api/v1/admin/pricing/models/{model}", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.PublishedPrice setModelPrice(@PathVariable String model, @RequestBody ModelPriceRequest request) throws Exception {
        String id = Inputs.requiredText("model", model, 200);
        String provider = Inputs.requiredText("provider", request.provider(), 100);
        List<String> aliases = request.aliases() == null ? List.of() : request.aliases();
        if (aliases.size() > 50) {
            throw ApiProblem.validation("aliases", "at most 50 aliases");
        }
        aliases.forEach(alias -> Inputs.requiredText("aliases", alias, 200));
        PricedModel price = new PricedModel(id, provider, rate("input_per_1k", request.inputPer1k()), rate("output_per_1k", request.outputPer1k()),
                Optional.ofNullable(request.cachedInputPer1k()).map(r -> rate("cached_input_per_1k", r)),
                Optional.ofNullable(request.blendedPer1k()).map(r -> rate("blended_per_1k", r)));
        Instant now = Instant.now();
        String version = "admin-" + now;
        publisher.publish(PriceBookRecords.of(price, aliases, version, now));
        PriceBook quoted = prices.priceBook();
        return new Responses.PublishedPrice(id, version, now.toString(),
                quoted.hasModel(id) ? prices.snapshot().versionOf(quoted.model(id)) : null);
    }

    private static BigDecimal rate(String field, BigDecimal rate) {
        if (rate == null) {
            throw ApiProblem.validation(field, field + " is required");
        }
        if (!PricedModel.isValidRate(rate)) {
            throw ApiProblem.validation(field, field + " must be 0 to " + PricedModel.MAX_RATE_PER_1K + " credits per 1K tokens with at most "
                    + PricedModel.MAX_RATE_SCALE + " decimal places");
        }
        return rate;
    }
}
