package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.accounts.LedgerReceipt;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.holds.SpendHolds;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * The requests that spend or reserve an account's credit on the API's hot path: holds, voids and deducts, and the
 * authorization check that reads what they leave. Two ways
 * to apply them give the same answers ({@code credit.spend.batched}): {@link SpendBatcher}, the default, applies the
 * requests that arrive together in one transaction; {@link OneTransactionPerRequest} gives each its own. A refusal
 * is a {@link LedgerRefusal}.
 */
public interface Spending {

    /** Reserves {@code estimate} for the call {@code requestId}, or refuses with the reason and reserves nothing. */
    SpendHolds.Hold placeHold(String userId, String requestId, Credits estimate, Duration ttl, String actor) throws SQLException;

    /** Releases an active hold of {@code userId}'s; returns the hold's status afterwards. */
    String voidHold(UUID holdId, String userId) throws SQLException;

    /** The read-only check a proxy can make without reserving: may this account spend {@code estimate} now? */
    SpendHolds.Authorization authorize(String userId, Credits estimate) throws SQLException;

    /** Takes {@code amount} (positive) from an account that may spend it, or refuses and changes nothing. */
    LedgerReceipt deduct(String userId, Credits amount, String reason, UsageDetails usage, Optional<String> idempotencyKey) throws SQLException;
}
