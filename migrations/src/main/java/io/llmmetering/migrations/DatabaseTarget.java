package io.llmmetering.migrations;

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
        String name = parts().database();
        if (!DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name '" + name + "' must be letters, digits and '_' (at most 63)");
        }
        return name;
    }

    /** The same server's maintenance database, from which a missing database can be created. */
    public DatabaseTarget maintenanceDatabase() {
        Parts parts = parts();
        String query = parts.query().isEmpty() ? "" : "?" + parts.query();
        return new DatabaseTarget("jdbc:postgresql://" + parts.hosts() + "/postgres" + query, user, password);
    }

    /**
     * The same database as a libpq connection URI, for pg_dump and psql: every host of the URL (a host name may hold
     * an underscore; several hosts fail over), the user, and the settings libpq shares with the JDBC driver (TLS,
     * timeouts, which server of several). The password never goes in it: the tools read {@code PGPASSWORD}.
     */
    public String libpqUri() {
        Parts parts = parts();
        StringBuilder uri = new StringBuilder("postgresql://").append(parts.hosts()).append('/').append(encode(parts.database()));
        uri.append("?user=").append(encode(user));
        for (String parameter : parts.query().split("&")) {
            int equals = parameter.indexOf('=');
            if (equals <= 0) {
                continue;
            }
            String name = parameter.substring(0, equals);
            String value = parameter.substring(equals + 1);
            String libpq = LIBPQ_PARAMETERS.get(name);
            if (libpq != null) {
                uri.append('&').append(libpq).append('=').append(libpq.equals("target_session_attrs") ? sessionAttributes(value) : value);
            } else if (name.equals("ssl") && value.equals("true") && !parts.query().contains("sslmode=")) {
                uri.append("&sslmode=require");
            }
        }
        return uri.toString();
    }

    /** The URL without anything secret (a password in its parameters), for what the tool prints. */
    public String printableUrl() {
        return jdbcUrl.replaceAll("(?i)([?&]password=)[^&]*", "$1(hidden)");
    }

    private static final java.util.Map<String, String> LIBPQ_PARAMETERS = java.util.Map.of(
            "sslmode", "sslmode", "sslrootcert", "sslrootcert", "sslcert", "sslcert", "sslkey", "sslkey",
            "connectTimeout", "connect_timeout", "ApplicationName", "application_name", "targetServerType", "target_session_attrs",
            "options", "options", "gssEncMode", "gssencmode");

    private static String sessionAttributes(String targetServerType) {
        return switch (targetServerType) {
            case "primary", "master" -> "read-write";
            case "secondary", "slave" -> "standby";
            case "preferSecondary", "preferSlave" -> "prefer-standby";
            default -> "any";
        };
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** {@code jdbc:postgresql://HOSTS/DATABASE?QUERY}, read by hand: java.net.URI refuses several hosts and underscores. */
    private record Parts(String hosts, String database, String query) {
    }

    private Parts parts() {
        String rest = jdbcUrl.substring("jdbc:postgresql://".length());
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("--url must name a host and a database: jdbc:postgresql://HOST:PORT/DATABASE");
        }
        String hosts = rest.substring(0, slash);
        String pathAndQuery = rest.substring(slash + 1);
        int question = pathAndQuery.indexOf('?');
        return new Parts(hosts, question < 0 ? pathAndQuery : pathAndQuery.substring(0, question),
                question < 0 ? "" : pathAndQuery.substring(question + 1));
    }

    @Override
    public String toString() {
        return "DatabaseTarget[" + printableUrl() + " as " + user + "]";
    }
}
