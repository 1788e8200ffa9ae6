package io.llmmetering.creditapi.holds;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.accounts.SpendableAccount;
import io.llmmetering.creditapi.jdbc.SqlFailures;
import io.llmmetering.creditapi.jdbc.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Spend holds: reserve before an LLM call, settle with its usage event.
 *
 * <p>Why PostgreSQL alone and not a Redis script: the reservation must never let two replicas both see
 * "enough", and must survive a crash of anything. The account row lock that already serializes every balance
 * change gives exactly that: {@code held} lives next to {@code balance}, and one conditional UPDATE checks and
 * reserves. A Redis script would be faster per call but would need PostgreSQL to recover from anyway, and a
 * lost Redis would mean holds that silently vanish; here losing Redis changes nothing. A hold is one statement
 * when the account exists and may spend; a new account, a repeated request id or a refusal take a transaction
 * of a few statements that also says why.
 */
public final class SpendHolds {

    private final DataSource dataSource;
    private final Counter placed;
    private final Counter refused;
    private final Counter voided;

    public SpendHolds(DataSource dataSource, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.placed = Counter.builder("credit.holds").tag("outcome", "placed").register(registry);
        this.refused = Counter.builder("credit.holds").tag("outcome", "refused").register(registry);
        this.voided = Counter.builder("credit.holds").tag("outcome", "voided").register(registry);
    }

    /**
     * @param available what the account may still spend after this hold
     * @param replayed  the request id was held before: this is that hold, as it stands now
     */
    public record Hold(UUID id, String userId, String requestId, Credits amount, String status, Instant expiresAt, Credits available,
                       boolean replayed) {
    }

    public record Authorization(boolean allowed, Credits available, Optional<LedgerRefusal.Reason> reason) {
    }

    /** Reserves {@code estimate} for the call {@code requestId}, or refuses with the reason and reserves nothing. */
    public Hold place(String userId, String requestId, Credits estimate, Duration ttl, String actor) throws SQLException {
        if (!estimate.isPositive()) {
            throw new IllegalArgumentException("a hold's estimate must be positive");
        }
        Optional<Hold> atOnce = placeAtOnce(userId, requestId, estimate, ttl, actor);
        if (atOnce.isPresent()) {
            placed.increment();
            return atOnce.get();
        }
        for (int attempt = 1; ; attempt++) {
            try {
                Hold hold = Transactions.inTransaction(dataSource, connection -> placeInSteps(connection, userId, requestId, estimate, ttl, actor));
                if (!hold.replayed()) {
                    placed.increment();
                }
                return hold;
            } catch (SQLException e) {
                if (SqlFailures.isUniqueViolation(e) && attempt == 1) {
                    continue; // the same request id held concurrently: answer with that hold
                }
                throw e;
            }
        }
    }

    /** The long way, for a new account, a repeated request id or a refusal: each step its own statement. */
    private Hold placeInSteps(Connection connection, String userId, String requestId, Credits estimate, Duration ttl, String actor)
            throws SQLException {
        execute(connection, HoldStatements.OPEN_ACCOUNT, userId);
        Optional<Hold> earlier = existing(connection, userId, requestId);
        if (earlier.isPresent()) {
            if (!earlier.get().amount().equals(estimate)) {
                // a retry repeats its request; another amount under the same id is another request
                throw new LedgerRefusal(LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED, "request_id " + requestId
                        + " already holds " + earlier.get().amount() + "; a retry must send the same estimate (" + estimate + " was sent)");
            }
            return earlier.get();
        }
        Credits available;
        try (PreparedStatement reserve = connection.prepareStatement(HoldStatements.RESERVE)) {
            reserve.setBigDecimal(1, estimate.toBigDecimal());
            reserve.setString(2, userId);
            reserve.setBigDecimal(3, estimate.toBigDecimal());
            reserve.setBigDecimal(4, estimate.toBigDecimal());
            try (ResultSet row = reserve.executeQuery()) {
                if (!row.next()) {
                    refused.increment();
                    throw whyNot(connection, userId, estimate);
                }
                available = Credits.ofExact(row.getBigDecimal(1));
            }
        }
        try (PreparedStatement record = connection.prepareStatement(HoldStatements.RECORD_HOLD)) {
            record.setString(1, userId);
            record.setString(2, requestId);
            record.setBigDecimal(3, estimate.toBigDecimal());
            record.setString(4, actor);
            record.setDouble(5, ttl.toMillis() / 1000.0);
            try (ResultSet row = record.executeQuery()) {
                row.next();
                return new Hold(row.getObject(1, UUID.class), userId, requestId, estimate, "active", row.getTimestamp(2).toInstant(),
                        available, false);
            }
        }
    }

    /** The usual case, one round trip: empty when the account is new, the request id was held, or it may not spend. */
    private Optional<Hold> placeAtOnce(String userId, String requestId, Credits estimate, Duration ttl, String actor) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(HoldStatements.RESERVE_AND_RECORD)) {
            BigDecimal amount = estimate.toBigDecimal();
            statement.setBigDecimal(1, amount);
            statement.setString(2, userId);
            statement.setBigDecimal(3, amount);
            statement.setBigDecimal(4, amount);
            statement.setString(5, requestId);
            statement.setString(6, requestId);
            statement.setBigDecimal(7, amount);
            statement.setString(8, actor);
            statement.setDouble(9, ttl.toMillis() / 1000.0);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(new Hold(row.getObject(1, UUID.class), userId, requestId, estimate, "active",
                        row.getTimestamp(2).toInstant(), Credits.ofExact(row.getBigDecimal(3)), false)) : Optional.empty();
            }
        } catch (SQLException e) {
            if (SqlFailures.isUniqueViolation(e)) {
                return Optional.empty(); // the same request id held concurrently: the long way answers with that hold
            }
            throw e;
        }
    }

    private Optional<Hold> existing(Connection connection, String userId, String requestId) throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(HoldStatements.FIND_BY_REQUEST)) {
            find.setString(1, userId);
            find.setString(2, requestId);
            try (ResultSet row = find.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Hold(row.getObject(1, UUID.class), userId, requestId, Credits.ofExact(row.getBigDecimal(2)),
                        row.getString(3), row.getTimestamp(4).toInstant(), spendable(connection, userId).available(), true));
            }
        }
    }

    private static LedgerRefusal whyNot(Connection connection, String userId, Credits estimate) throws SQLException {
        return account(connection, userId).refusedHold(estimate);
    }

    /** The read-only check a proxy can make without reserving: may this account spend {@code estimate} now? */
    public Authorization authorize(String userId, Credits estimate) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return check(connection, userId, estimate);
        }
    }

    private Authorization spendable(Connection connection, String userId) throws SQLException {
        return check(connection, userId, Credits.ZERO);
    }

    private static Authorization check(Connection connection, String userId, Credits estimate) throws SQLException {
        SpendableAccount account = account(connection, userId);
        Optional<LedgerRefusal.Reason> reason = account.refusal(estimate);
        return new Authorization(reason.isEmpty(), account.available(), reason);
    }

    private static SpendableAccount account(Connection connection, String userId) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement(HoldStatements.SPENDABLE)) {
            read.setString(1, userId);
            try (ResultSet row = read.executeQuery()) {
                return row.next() ? SpendableAccount.read(row, 1) : SpendableAccount.NONE;
            }
        }
    }

    /** Whose a hold is and who placed it. */
    public record Holder(String userId, String createdBy) {
    }

    /** The hold's user and creator, if it exists: callers check that the requester may touch it. */
    public Optional<Holder> holderOf(UUID holdId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement read = connection.prepareStatement(HoldStatements.HOLDER_OF_HOLD)) {
            read.setObject(1, holdId);
            try (ResultSet row = read.executeQuery()) {
                return row.next() ? Optional.of(new Holder(row.getString(1), row.getString(2))) : Optional.empty();
            }
        }
    }

    /** Releases an active hold (the call failed or was cancelled); returns the hold's status afterwards. */
    public String voidHold(UUID holdId, String userId) throws SQLException {
        return Transactions.inTransaction(dataSource, connection -> {
            execute(connection, HoldStatements.LOCK_ACCOUNT, userId);
            try (PreparedStatement release = connection.prepareStatement(HoldStatements.VOID_HOLD)) {
                release.setObject(1, holdId);
                try (ResultSet row = release.executeQuery()) {
                    if (row.next()) {
                        voided.increment();
                    }
                }
            }
            try (PreparedStatement read = connection.prepareStatement(HoldStatements.STATUS_OF_HOLD)) {
                read.setObject(1, holdId);
                try (ResultSet row = read.executeQuery()) {
                    row.next();
                    return row.getString(1);
                }
            }
        });
    }

    private static void execute(Connection connection, String sql, String userId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, userId);
            statement.execute();
        }
    }
}
