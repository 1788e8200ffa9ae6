package io.llmmetering.creditapi.jdbc;

import org.postgresql.util.PSQLState;

import java.sql.SQLException;

/** What a failure PostgreSQL answered means, by its SQLSTATE, for the code that handles it. */
public final class SqlFailures {

    private SqlFailures() {
    }

    /** A unique index refused the row: someone wrote the same key first (a retry, a concurrent request). */
    public static boolean isUniqueViolation(SQLException failure) {
        return PSQLState.UNIQUE_VIOLATION.getState().equals(failure.getSQLState());
    }
}
