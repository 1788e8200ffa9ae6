package io.llmmetering.creditapi.accounts;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * A page request on an account's ledger: newest first, at most {@code limit} rows, optionally of one type and
 * within [from, to), continuing after {@code after} (the last row of the previous page).
 */
public record TransactionQuery(int limit, Optional<String> type, Instant from, Instant to, Optional<Position> after) {

    public static final int MAX_LIMIT = 500;

    public TransactionQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        }
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("from must be before to");
        }
    }

    /** Where a page ended: PostgreSQL keeps microseconds, so the cursor does too. */
    public record Position(Instant createdAt, UUID id) {

        public Position {
            createdAt = createdAt.truncatedTo(ChronoUnit.MICROS);
        }

        /** An opaque token for the client: base64url of {@code <epoch micros>:<uuid>}. */
        public String cursor() {
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
            return Base64.getUrlEncoder().withoutPadding().encodeToString((micros + ":" + id).getBytes(StandardCharsets.US_ASCII));
        }

        /** Reads a cursor; fails with IllegalArgumentException for anything this class did not write. */
        public static Position ofCursor(String cursor) {
            if (cursor.length() > 100) {
                throw new IllegalArgumentException("cursor is not one this API returned");
            }
            try {
                String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
                int colon = text.indexOf(':');
                long micros = Long.parseLong(text.substring(0, colon));
                return new Position(Instant.EPOCH.plus(micros, ChronoUnit.MICROS), UUID.fromString(text.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cursor is not one this API returned");
            }
        }
    }
}
