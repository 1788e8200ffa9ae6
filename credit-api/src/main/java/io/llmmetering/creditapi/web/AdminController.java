package io.llmmetering.creditapi.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.llmmetering.core.money.Credits;
import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.creditapi.accounts.AccountQueries;
import io.llmmetering.creditapi.accounts.AccountSettings;
import io.llmmetering.creditapi.accounts.CreditLedger;
import io.llmmetering.creditapi.analytics.UsageAnalytics;
import io.llmmetering.creditapi.coupons.Coupon;
import io.llmmetering.creditapi.coupons.CouponAdmin;
import io.llmmetering.creditapi.controlplane.ControlPlanePublisher;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.creditapi.ingestkeys.IngestKeyAdmin;
import io.llmmetering.schemas.AccountState;
import io.llmmetering.schemas.pricing.PriceBookRecords;
import io.llmmetering.core.problems.ProblemType;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/** Admin operations (role {@code admin}, enforced for the whole /api/v1/admin tree by the security filter chain). */
@RestController
final class AdminController {

    private final CreditLedger ledger;
    private final AccountQueries accounts;
    private final AccountSettings settings;
    private final UsageAnalytics usage;
    private final CouponAdmin coupons;
    private final IngestKeyAdmin ingestKeys;
    private final PriceBookFeed prices;
    private final ControlPlanePublisher publisher;

    AdminController(CreditLedger ledger, AccountQueries accounts, AccountSettings settings, UsageAnalytics usage, CouponAdmin coupons,
                    IngestKeyAdmin ingestKeys, PriceBookFeed prices, ControlPlanePublisher publisher) {
        this.usage = usage;
        this.ledger = ledger;
        this.accounts = accounts;
        this.settings = settings;
        this.coupons = coupons;
        this.ingestKeys = ingestKeys;
        this.prices = prices;
        this.publisher = publisher;
    }

    record AllocateRequest(String userId, BigDecimal amount, String reason) {
    }

    @PostMapping(path = "/api/v1/admin/credits/allocate", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Receipt allocate(@AuthenticationPrincipal Jwt admin, @RequestBody AllocateRequest request,
                                 @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) throws SQLException {
        String userId = Inputs.userId("user_id", request.userId());
        Credits amount = Inputs.positiveAmount("amount", request.amount());
        String reason = Inputs.optionalText("reason", request.reason(), 1000).orElse("allocation");
        return Responses.Receipt.of(ledger.credit(userId, amount, "allocation", reason, admin.getSubject(), Inputs.idempotencyKey(idempotencyKey)));
    }

    @GetMapping("/api/v1/admin/users/{userId}/balance")
    Responses.Balance balance(@PathVariable String userId) throws SQLException {
        return ApiViews.balance(accounts.account(Inputs.userId("user_id", userId)));
    }

    @GetMapping("/api/v1/admin/users/{userId}/transactions")
    Responses.Transactions transactions(@PathVariable String userId, @RequestParam(required = false) Integer limit,
                                     @RequestParam(required = false) String cursor, @RequestParam(required = false) String type,
                                     @RequestParam(required = false) String from, @RequestParam(required = false) String to)
            throws SQLException {
        return ApiViews.transactions(accounts.transactions(Inputs.userId("user_id", userId),
                ApiViews.transactionQuery(limit, cursor, type, from, to)));
    }

    @GetMapping("/api/v1/admin/users/{userId}/usage")
    Responses.Usage userUsage(@PathVariable String userId, @RequestParam(name = "group_by", required = false) String groupBy,
                              @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                              @RequestParam(required = false) Integer limit) throws SQLException {
        return ApiViews.usage(usage, Optional.of(Inputs.userId("user_id", userId)), groupBy, from, to, limit);
    }

    /** The whole platform: {@code ?group_by=user} lists the top spenders. */
    @GetMapping("/api/v1/admin/usage")
    Responses.Usage platformUsage(@RequestParam(name = "group_by", required = false) String groupBy,
                                  @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                                  @RequestParam(required = false) Integer limit) throws SQLException {
        return ApiViews.usage(usage, Optional.empty(), groupBy == null ? "user" : groupBy, from, to, limit);
    }

    record TierRequest(String tier) {
    }

    @PutMapping(path = "/api/v1/admin/users/{userId}/tier", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.AccountSettings setTier(@PathVariable String userId, @RequestBody TierRequest request) throws Exception {
        String tier = Inputs.name("tier", request.tier());
        prices.priceBook().tier(tier); // unknown tiers fail here, naming the known ones
        return published(settings.setTier(Inputs.userId("user_id", userId), tier));
    }

    record MonthlyCapRequest(BigDecimal monthlyCap) {
    }

    /** {@code {"monthly_cap": null}} removes the cap. */
    @PutMapping(path = "/api/v1/admin/users/{userId}/monthly-cap", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.AccountSettings setMonthlyCap(@PathVariable String userId, @RequestBody MonthlyCapRequest request) throws Exception {
        Optional<Credits> cap = request.monthlyCap() == null ? Optional.empty() : Optional.of(Inputs.positiveAmount("monthly_cap", request.monthlyCap()));
        return published(settings.setMonthlyCap(Inputs.userId("user_id", userId), cap));
    }

    @PostMapping("/api/v1/admin/users/{userId}/suspend")
    Responses.AccountSettings suspend(@PathVariable String userId) throws Exception {
        return published(settings.setStatus(Inputs.userId("user_id", userId), "suspended"));
    }

    @PostMapping("/api/v1/admin/users/{userId}/resume")
    Responses.AccountSettings resume(@PathVariable String userId) throws Exception {
        return published(settings.setStatus(Inputs.userId("user_id", userId), "active"));
    }

    private Responses.AccountSettings published(AccountState state) throws ControlPlanePublisher.PublishFailedException {
        publisher.publish(state);
        return new Responses.AccountSettings(state.getUserId(), state.getTier(),
                state.getMonthlyCapNanos() == null ? null : Inputs.amount(Credits.ofNanos(state.getMonthlyCapNanos())), state.getStatus());
    }

    record CouponRequest(String code, String discountType, BigDecimal discountValue, Integer maxUses, String expiresAt, String description) {
    }

    @PostMapping(path = "/api/v1/admin/coupons", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    ResponseEntity<Responses.Coupon> createCoupon(@AuthenticationPrincipal Jwt admin, @RequestBody CouponRequest request) throws SQLException {
        String code = Inputs.requiredText("code", request.code(), 64);
        if (!code.matches("[A-Za-z0-9_-]{3,64}")) {
            throw ApiProblem.validation("code", "code must be 3-64 letters, digits, '-' or '_'");
        }
        String type = request.discountType();
        if (!"fixed".equals(type) && !"percentage".equals(type)) {
            throw ApiProblem.validation("discount_type", "discount_type must be 'fixed' or 'percentage'");
        }
        Credits value = Inputs.positiveAmount("discount_value", request.discountValue());
        if (type.equals("percentage") && value.compareTo(Credits.ofWhole(100)) > 0) {
            throw ApiProblem.validation("discount_value", "a percentage coupon's discount_value must be at most 100");
        }
        if (request.maxUses() != null && request.maxUses() < 1) {
            throw ApiProblem.validation("max_uses", "max_uses must be at least 1 (leave it out for unlimited)");
        }
        Optional<OffsetDateTime> expires = Optional.empty();
        if (request.expiresAt() != null) {
            try {
                expires = Optional.of(OffsetDateTime.parse(request.expiresAt()));
            } catch (DateTimeParseException e) {
                throw ApiProblem.validation("expires_at", "expires_at must be an ISO-8601 timestamp such as 2026-12-31T23:59:59Z");
            }
        }
        var created = coupons.create(new CouponAdmin.NewCoupon(code, type, value.toBigDecimal(),
                        request.maxUses() == null ? OptionalInt.empty() : OptionalInt.of(request.maxUses()), expires,
                        Inputs.optionalText("description", request.description(), 1000)), admin.getSubject())
                .orElseThrow(() -> new ApiProblem(ProblemType.CONFLICT, "a coupon with code " + code + " exists already"));
        return ResponseEntity.status(HttpStatus.CREATED).body(coupon(created));
    }

    @GetMapping("/api/v1/admin/coupons")
    Responses.Coupons listCoupons(@RequestParam(name = "include_inactive", defaultValue = "false") boolean includeInactive)
            throws SQLException {
        return new Responses.Coupons(coupons.list(includeInactive, 1000).stream().map(AdminController::coupon).toList());
    }

    @PostMapping("/api/v1/admin/coupons/{code}/deactivate")
    Responses.Coupon deactivateCoupon(@PathVariable String code) throws SQLException {
        return coupon(coupons.deactivate(Inputs.requiredText("code", code, 64))
                .orElseThrow(() -> ApiProblem.notFound("no coupon with this code")));
    }

    private static Responses.Coupon coupon(Coupon coupon) {
        return new Responses.Coupon(coupon.id().toString(), coupon.code(), coupon.discountType(),
                Inputs.amount(Credits.ofExact(coupon.discountValue())), coupon.maxUses().isPresent() ? coupon.maxUses().getAsInt() : null,
                coupon.timesUsed(), coupon.expiresAt().map(Instant::toString).orElse(null), coupon.active(),
                coupon.description().orElse(null), coupon.createdAt().toString());
    }

    record IngestKeyRequest(String name, String source) {
    }

    @PostMapping(path = "/api/v1/admin/ingest-keys", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    ResponseEntity<Responses.CreatedIngestKey> createIngestKey(@AuthenticationPrincipal Jwt admin, @RequestBody IngestKeyRequest request)
            throws SQLException {
        String name = Inputs.requiredText("name", request.name(), 200);
        String source = Inputs.optionalText("source", request.source(), 100).orElse(name);
        IngestKeyAdmin.CreatedKey key = ingestKeys.create(name, source, admin.getSubject());
        return ResponseEntity.status(HttpStatus.CREATED).body(new Responses.CreatedIngestKey(key.id().toString(), key.key(), key.name(),
                key.source(), key.createdAt().toString(), "the key is shown only now; store it in the proxy's configuration"));
    }

    @GetMapping("/api/v1/admin/ingest-keys")
    Responses.IngestKeys listIngestKeys(@RequestParam(name = "include_revoked", defaultValue = "false") boolean includeRevoked)
            throws SQLException {
        return new Responses.IngestKeys(ingestKeys.list(includeRevoked).stream()
                .map(key -> new Responses.IngestKey(key.id().toString(), key.prefix() + "_****", key.name(), key.source(),
                        key.createdBy().orElse(null), key.createdAt().toString(), key.lastUsedAt().map(Instant::toString).orElse(null),
                        key.revokedAt().map(Instant::toString).orElse(null)))
                .toList());
    }

    @DeleteMapping("/api/v1/admin/ingest-keys/{id}")
    ResponseEntity<Void> revokeIngestKey(@PathVariable String id) throws SQLException {
        UUID keyId;
        try {
            keyId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("id", "id must be a UUID");
        }
        if (!ingestKeys.revoke(keyId)) {
            throw ApiProblem.notFound("no ingest key with this id");
        }
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/api/v1/admin/pricing")
    Responses.Pricing pricing() {
        return ApiViews.pricing(prices.priceBook(), prices.snapshot().versionByModel());
    }

    /** Snake case does not split digits from letters, so the per-1K names are spelled out. */
    record ModelPriceRequest(String provider, @JsonProperty("input_per_1k") BigDecimal inputPer1k,
                             @JsonProperty("output_per_1k") BigDecimal outputPer1k,
                             @JsonProperty("cached_input_per_1k") BigDecimal cachedInputPer1k,
                             @JsonProperty("blended_per_1k") BigDecimal blendedPer1k, List<String> aliases) {
    }

    /**
     * Sets one model's price by publishing it to {@code pricing.models}: the topology prices the events after it
     * with the new price (recorded as a new price version), and this API quotes it once its feed has read it.
     */
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
