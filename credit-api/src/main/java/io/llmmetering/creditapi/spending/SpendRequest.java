package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.UsageDetails;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** One request of a batch, on the account of {@link #userId()}. */
sealed interface SpendRequest {

    String userId();

    record PlaceHold(String userId, String requestId, Credits estimate, Duration ttl, String actor) implements SpendRequest {
    }

    record VoidHold(UUID holdId, String userId) implements SpendRequest {
    }

    record Deduct(String userId, Credits amount, String reason, UsageDetails usage, Optional<String> idempotencyKey) implements SpendRequest {
    }
}
