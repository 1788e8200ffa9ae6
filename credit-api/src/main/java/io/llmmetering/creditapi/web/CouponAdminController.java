package io.llmmetering.creditapi.web;

import io.llmmetering.core.money.Credits;
import io.llmmetering.core.problems.ProblemType;
import io.llmmetering.creditapi.coupons.Coupon;
import io.llmmetering.creditapi.coupons.CouponAdmin;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
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
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalInt;

/** Coupons, for admins (role {@code admin}, enforced for the whole /api/v1/admin tree by the security filter chain). */
@RestController
@Tag(name = "Coupons")
final class CouponAdminController {

    private final CouponAdmin coupons;

    CouponAdminController(CouponAdmin coupons) {
        this.coupons = coupons;
    }

    record CouponRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String code, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String discountType, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal discountValue, Integer maxUses, String expiresAt, String description) {
    }

    @Operation(operationId = "createCoupon", summary = "create a fixed or percentage coupon")
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

    @Operation(operationId = "listCoupons", summary = "list coupons (include_inactive)")
    @GetMapping("/api/v1/admin/coupons")
    Responses.Coupons listCoupons(@RequestParam(name = "include_inactive", defaultValue = "false") boolean includeInactive)
            throws SQLException {
        return new Responses.Coupons(coupons.list(includeInactive, 1000).stream().map(CouponAdminController::coupon).toList());
    }

    @Operation(operationId = "deactivateCoupon", summary = "stop a coupon; redemptions made stand")
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
}
