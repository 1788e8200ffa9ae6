package io.llmmetering.creditapi.exports;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;

/**
 * A CSV export on its way to the client: one connection in a REPEATABLE READ transaction whose query has already
 * run (so a database that is away is an error answer, not a file cut short), rows fetched from PostgreSQL
 * {@value #FETCH_SIZE} at a time and written as they come, so a year of a busy platform never sits in memory.
 * Amounts are the ledger's exact decimals; text cells that a spreadsheet would run as a formula are quoted with
 * a leading apostrophe (OWASP's advice for CSV injection).
 */
public final class CsvExport implements AutoCloseable {

    static final int FETCH_SIZE = 1_000;

    /** How a column's value is read and written. */
    public enum Kind { TEXT, DECIMAL, INTEGER, TIME }

    public record Column(String name, Kind kind) {
    }

    /** Makes the export's statement on the connection, every parameter bound. */
    @FunctionalInterface
    public interface Query {
        PreparedStatement prepare(Connection connection) throws SQLException;
    }

    private final Connection connection;
    private final PreparedStatement statement;
    private final ResultSet rows;
    private final List<Column> columns;
    private final Runnable onClose;

    private CsvExport(Connection connection, PreparedStatement statement, ResultSet rows, List<Column> columns, Runnable onClose) {
        this.connection = connection;
        this.statement = statement;
        this.rows = rows;
        this.columns = columns;
        this.onClose = onClose;
    }

    /** Runs the query on {@code connection}, which the export owns from here on; {@code onClose} runs when it is done. */
    static CsvExport open(Connection connection, List<Column> columns, Query query, Runnable onClose) throws SQLException {
        PreparedStatement statement = null;
        try {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            statement = query.prepare(connection);
            statement.setFetchSize(FETCH_SIZE);
            return new CsvExport(connection, statement, statement.executeQuery(), columns, onClose);
        } catch (SQLException | RuntimeException e) {
            if (statement != null) {
                statement.close();
            }
            release(connection);
            throw e;
        }
    }

    /** Writes the header and every row; returns how many rows. */
    public long writeTo(OutputStream out) throws IOException, SQLException {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader(columns.stream().map(Column::name).toArray(String[]::new)).get();
        long written = 0;
        CSVPrinter printer = new CSVPrinter(new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 64 * 1024), format);
        Object[] values = new Object[columns.size()];
        while (rows.next()) {
            for (int i = 0; i < values.length; i++) {
                values[i] = cell(columns.get(i).kind(), i + 1);
            }
            printer.printRecord(values);
            written++;
        }
        printer.flush();
        return written;
    }

    private Object cell(Kind kind, int index) throws SQLException {
        switch (kind) {
            case DECIMAL -> {
                BigDecimal value = rows.getBigDecimal(index);
                return value == null ? null : value.toPlainString();
            }
            case INTEGER -> {
                long value = rows.getLong(index);
                return rows.wasNull() ? null : value;
            }
            case TIME -> {
                Timestamp value = rows.getTimestamp(index);
                return value == null ? null : value.toInstant().toString();
            }
            default -> {
                return inert(rows.getString(index));
            }
        }
    }

    /** A text cell a spreadsheet would evaluate ({@code =}, {@code +}, {@code -}, {@code @}, tab, CR first) made inert. */
    static String inert(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        char first = text.charAt(0);
        return first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r' ? "'" + text : text;
    }

    @Override
    public void close() throws SQLException {
        try {
            rows.close();
            statement.close();
        } finally {
            try {
                release(connection);
            } finally {
                onClose.run();
            }
        }
    }

    /** Ends the read-only transaction and hands the connection back as the pool lent it. */
    private static void release(Connection connection) throws SQLException {
        try {
            connection.rollback();
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            connection.setAutoCommit(true);
        } finally {
            connection.close();
        }
    }
}
