package io.llmmetering.creditapi.jdbc;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * One transaction on a connection of its own: committed when the work returns, rolled back when it throws
 * (whatever it throws). Plain JDBC, so the hot paths keep their statements; only the bracket is written once.
 */
public final class Transactions {

    private Transactions() {
    }

    /** Work inside a transaction; {@code E} is what it may throw besides SQLException. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run(Connection connection) throws SQLException, E;
    }

    public static <T, E extends Exception> T inTransaction(DataSource dataSource, Work<T, E> work) throws SQLException, E {
        try (Connection connection = dataSource.getConnection()) {
            return inTransaction(connection, work);
        }
    }

    /**
     * At REPEATABLE READ: every statement of {@code work} sees one snapshot (a report that reads rollups and raw
     * events must not count an hour twice). The connection goes back to the pool at READ COMMITTED.
     */
    public static <T, E extends Exception> T inSnapshot(DataSource dataSource, Work<T, E> work) throws SQLException, E {
        try (Connection connection = dataSource.getConnection()) {
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return inTransaction(connection, work);
            } finally {
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
        }
    }

    private static <T, E extends Exception> T inTransaction(Connection connection, Work<T, E> work) throws SQLException, E {
        connection.setAutoCommit(false);
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (Exception e) {
            connection.rollback();
            throw e;
        }
    }
}
