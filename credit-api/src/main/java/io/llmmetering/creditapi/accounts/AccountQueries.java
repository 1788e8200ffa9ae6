package io.llmmetering.creditapi.accounts;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceReader;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Reads accounts and ledgers. Balances come through the balance reader (Redis first); on a miss, the balance of the
 * account row this class reads anyway fills the cache, so a miss costs no second query.
 */
public final class AccountQueries {

    /** Sorts after every real row: the first page starts here. */
    private static final TransactionQuery.Position START = new TransactionQuery.Position(
            Instant.parse("9999-12-31T00:00:00Z"), new UUID(-1L, -1L));

    private final DataSource dataSource;
    private final BalanceReader balances;

    public AccountQueries(DataSource dataSource, BalanceReader balances) {
        this.dataSource = dataSource;
        this.balances = balances;
    }

    public Account account(String userId) throws SQLException {
        Optional<Stored> stored = stored(userId);
        Account account = stored.map(Stored::account).orElseGet(() -> Account.fresh(userId));
        Credits balance = balances.balanceOf(userId,
                new BalanceCache.Versioned(account.balance(), stored.map(Stored::balanceVersion).orElse(0L)));
        return new Account(userId, balance, account.tier(), account.monthlyCap(), account.monthToDateSpend(), account.status(),
                account.spendBlockedReason(), account.held(), account.available());
    }

    /** The account as PostgreSQL has it right now, or empty if it was never written to. */
    public Optional<Account> storedAccount(String userId) throws SQLException {
        return stored(userId).map(Stored::account);
    }

    private record Stored(Account account, long balanceVersion) {
    }

    private Optional<Stored> stored(String userId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement read = connection.prepareStatement(AccountStatements.READ_ACCOUNT)) {
            read.setString(1, userId);
            try (ResultSet row = read.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                Credits balance = Credits.ofExact(row.getBigDecimal(1));
                Credits held = Credits.ofExact(row.getBigDecimal(7));
                return Optional.of(new Stored(new Account(userId, balance, row.getString(2),
                        Optional.ofNullable(row.getBigDecimal(3)).map(Credits::ofExact), Credits.ofExact(row.getBigDecimal(4)),
                        row.getString(5), Optional.ofNullable(row.getString(6)), held, balance.minus(held)), row.getLong(8)));
            }
        }
    }

    /** One page of the ledger; the returned position continues it, empty when this was the last page. */
    public Page transactions(String userId, TransactionQuery query) throws SQLException {
        TransactionQuery.Position after = query.after().orElse(START);
        String sql = query.type().isPresent() ? AccountStatements.PAGE_OF_TRANSACTIONS_OF_TYPE : AccountStatements.PAGE_OF_TRANSACTIONS;
        try (Connection connection = dataSource.getConnection(); PreparedStatement page = connection.prepareStatement(sql)) {
            int i = 1;
            page.setString(i++, userId);
            if (query.type().isPresent()) {
                page.setString(i++, query.type().get());
            }
            page.setTimestamp(i++, Timestamp.from(query.from()));
            page.setTimestamp(i++, Timestamp.from(query.to()));
            page.setTimestamp(i++, Timestamp.from(after.createdAt()));
            page.setObject(i++, after.id());
            page.setInt(i, query.limit() + 1);
            List<LedgerEntry> entries = new ArrayList<>();
            try (ResultSet row = page.executeQuery()) {
                while (row.next()) {
                    long tokens = row.getLong(8);
                    OptionalLong tokensUsed = row.wasNull() ? OptionalLong.empty() : OptionalLong.of(tokens);
                    entries.add(new LedgerEntry(row.getObject(1, UUID.class), Credits.ofExact(row.getBigDecimal(2)),
                            Credits.ofExact(row.getBigDecimal(3)), row.getString(4), Optional.ofNullable(row.getString(5)),
                            Optional.ofNullable(row.getString(6)), Optional.ofNullable(row.getString(7)), tokensUsed,
                            Optional.ofNullable(row.getString(9)), row.getInt(10), row.getString(11),
                            row.getObject(12, OffsetDateTime.class).toInstant()));
                }
            }
            if (entries.size() <= query.limit()) {
                return new Page(entries, Optional.empty());
            }
            List<LedgerEntry> shown = entries.subList(0, query.limit());
            LedgerEntry last = shown.get(shown.size() - 1);
            return new Page(List.copyOf(shown), Optional.of(new TransactionQuery.Position(last.createdAt(), last.id())));
        }
    }

    public record Page(List<LedgerEntry> entries, Optional<TransactionQuery.Position> next) {
    }
}
