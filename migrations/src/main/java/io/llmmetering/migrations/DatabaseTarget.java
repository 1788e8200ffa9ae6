package io.llmmetering.migrations;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * A PostgreSQL database to migrate: its JDBC URL and credentials. The password is never printed.
 */
public record DatabaseTarget(String jdbcUrl, String user, String password) {

    public static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/metering";
    public static final String DEFAULT_USER = "postgres";
    private static final Pattern DATABASE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    public DatabaseTarget {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("--url must be a jdbc:postgresql:// URL, was '" + jdbcUrl + "'");
        }
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("--user must not be empty");
        }
        password = password == null ? "" : password;
    }

    /** The database name in the URL, checked to be a plain identifier so it can be created safely. */
    public String databaseName() {
        String path = URI.create(jdbcUrl.substring("jdbc:".length())).getPath();
        String name = path == null ? "" : path.replaceFirst("^/", "");
        if (!DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name '" + name + "' must be letters, digits and '_' (at most 63)");
        }
        return name;
    }

    /** The same server's maintenance database, from which a missing database can be created. */
    public DatabaseTarget maintenanceDatabase() {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return new DatabaseTarget("jdbc:postgresql://" + uri.getRawAuthority() + "/postgres" + query, user, password);
    }

    @Override
    public String toString() {
        return "DatabaseTarget[" + jdbcUrl + " as " + user + "]";
    }
}
