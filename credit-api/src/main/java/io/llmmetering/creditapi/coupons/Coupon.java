package io.llmmetering.creditapi.coupons;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/** A coupon as admins see it: a fixed amount of credits, or a percentage bonus on the redeemer's latest top-up. */
public record Coupon(UUID id, String code, String discountType, BigDecimal discountValue, OptionalInt maxUses, int timesUsed,
                     Optional<Instant> expiresAt, boolean active, Optional<String> description, Instant createdAt) {
}
