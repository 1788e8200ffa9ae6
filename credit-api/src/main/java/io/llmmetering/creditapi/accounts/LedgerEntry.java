package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/** One row of an account's ledger; a {@code usage} row sums {@code eventCount} metered LLM calls. */
public record LedgerEntry(UUID id, Credits amount, Credits balanceAfter, String type, Optional<String> reason, Optional<String> provider,
                          Optional<String> model, OptionalLong tokensUsed, Optional<String> powerLevel, int eventCount,
                          String metadataJson, Instant createdAt) {
}
