package io.llmmetering.creditapi.exports;

import io.llmmetering.creditapi.analytics.UsageAnalytics;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * The CSV exports: a user's or every user's ledger rows, and usage by day, user and model. Each holds a
 * connection of the ledger's pool (10) for as long as the client reads, so at most {@value #CONCURRENT} run at once
 * and the next is refused ({@link ExportsBusyException}) rather than starve the API of connections.
 */
public final class CsvExports {

    static final int CONCURRENT = 2;

    public static final List<CsvExport.Column> TRANSACTION_COLUMNS = List.of(
            new CsvExport.Column("created_at", CsvExport.Kind.TIME), new CsvExport.Column("transaction_id", CsvExport.Kind.TEXT),
            new CsvExport.Column("user_id", CsvExport.Kind.TEXT), new CsvExport.Column("transaction_type", CsvExport.Kind.TEXT),
            new CsvExport.Column("amount", CsvExport.Kind.DECIMAL), new CsvExport.Column("balance_after", CsvExport.Kind.DECIMAL),
            new CsvExport.Column("reason", CsvExport.Kind.TEXT), new CsvExport.Column("provider", CsvExport.Kind.TEXT),
            new CsvExport.Column("model", CsvExport.Kind.TEXT), new CsvExport.Column("tokens_used", CsvExport.Kind.INTEGER),
            new CsvExport.Column("power_level", CsvExport.Kind.TEXT), new CsvExport.Column("event_count", CsvExport.Kind.INTEGER),
            new CsvExport.Column("metadata", CsvExport.Kind.TEXT));

    public static final List<CsvExport.Column> USAGE_COLUMNS = List.of(
            new CsvExport.Column("day", CsvExport.Kind.TIME), new CsvExport.Column("user_id", CsvExport.Kind.TEXT),
            new CsvExport.Column("model", CsvExport.Kind.TEXT), new CsvExport.Column("requests", CsvExport.Kind.INTEGER),
            new CsvExport.Column("input_tokens", CsvExport.Kind.INTEGER), new CsvExport.Column("output_tokens", CsvExport.Kind.INTEGER),
            new CsvExport.Column("cost", CsvExport.Kind.DECIMAL));

    /** Oldest first, by (created_at, id): one statement per scope (a user or all) and filter (a type or all). */
    private static final Map<String, String> TRANSACTIONS = transactionStatements();

    private static Map<String, String> transactionStatements() {
        Map<String, String> statements = new HashMap<>();
        for (boolean oneUser : new boolean[]{false, true}) {
            for (boolean oneType : new boolean[]{false, true}) {
                statements.put(oneUser + "/" + oneType, """
                        SELECT created_at, id::text, user_id, transaction_type, amount, balance_after, reason, provider, model,
                               tokens_used, power_level, event_count, metadata::text
                          FROM credit_transactions
                         WHERE created_at >= ? AND created_at < ?%s%s
                         ORDER BY created_at, id
                        """.formatted(oneUser ? " AND user_id = ?" : "", oneType ? " AND transaction_type = ?" : ""));
            }
        }
        return Map.copyOf(statements);
    }

    private final DataSource dataSource;
    private final UsageAnalytics usage;
    private final Semaphore running;

    public CsvExports(DataSource dataSource, UsageAnalytics usage) {
        this.dataSource = dataSource;
        this.usage = usage;
        this.running = new Semaphore(CONCURRENT);
    }

    /** Ledger rows in [from, to), of one user or all, of one type or all. */
    public CsvExport transactions(Optional<String> userId, Optional<String> type, Instant from, Instant to) throws SQLException {
        return open(TRANSACTION_COLUMNS, connection -> {
            PreparedStatement query = connection.prepareStatement(TRANSACTIONS.get(userId.isPresent() + "/" + type.isPresent()));
            int i = 1;
            query.setTimestamp(i++, Timestamp.from(from));
            query.setTimestamp(i++, Timestamp.from(to));
            if (userId.isPresent()) {
                query.setString(i++, userId.get());
            }
            if (type.isPresent()) {
                query.setString(i, type.get());
            }
            return query;
        });
    }

    /** Usage in [from, to) by UTC day, user and model: exactly what the usage reports sum. */
    public CsvExport dailyUsage(Instant from, Instant to) throws SQLException {
        return open(USAGE_COLUMNS, connection -> usage.dailyByUserAndModel(connection, from, to));
    }

    private CsvExport open(List<CsvExport.Column> columns, CsvExport.Query query) throws SQLException {
        if (!running.tryAcquire()) {
            throw new ExportsBusyException();
        }
        try {
            Connection connection = dataSource.getConnection();
            return CsvExport.open(connection, columns, query, running::release);
        } catch (SQLException | RuntimeException e) {
            running.release();
            throw e;
        }
    }

    /** Every export slot is taken: try again when one of them has finished. */
    public static final class ExportsBusyException extends RuntimeException {

        ExportsBusyException() {
            super("every export slot is in use; try again shortly", null, false, false);
        }
    }
}
