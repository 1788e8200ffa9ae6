package io.llmmetering.testsupport;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Creates a fresh, empty database per test class on the local PostgreSQL server (127.0.0.1:5432, user
 * postgres, trust auth; override with TEST_PG_HOST, TEST_PG_PORT, TEST_PG_USER) and drops it after the
 * class, so no test depends on another's leftovers. Tests take a {@link TestDatabase} parameter.
 */
public final class PostgresDatabaseExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresDatabaseExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws SQLException {
        String host = env("TEST_PG_HOST", "127.0.0.1");
        int port = Integer.parseInt(env("TEST_PG_PORT", "5432"));
        String user = env("TEST_PG_USER", "postgres");
        String name = ("t_" + context.getRequiredTestClass().getSimpleName() + "_"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL)).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        name = name.length() > 63 ? name.substring(0, 55) + name.substring(name.length() - 8) : name;
        TestDatabase database = new TestDatabase(host, port, name, user);
        execute(database, "CREATE DATABASE " + name);
        context.getStore(NAMESPACE).put(TestDatabase.class, database);
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        TestDatabase database = context.getStore(NAMESPACE).remove(TestDatabase.class, TestDatabase.class);
        if (database != null) {
            execute(database, "DROP DATABASE IF EXISTS " + database.name() + " WITH (FORCE)");
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return database(context);
    }

    /** The database of the test class running in {@code context} (stores are visible from child contexts). */
    public static TestDatabase database(ExtensionContext context) {
        TestDatabase database = context.getStore(NAMESPACE).get(TestDatabase.class, TestDatabase.class);
        if (database == null) {
            throw new IllegalStateException("no test database: register PostgresDatabaseExtension on the test class");
        }
        return database;
    }

    private static void execute(TestDatabase database, String sql) throws SQLException {
        String maintenanceUrl = "jdbc:postgresql://" + database.host() + ":" + database.port() + "/postgres";
        try (Connection connection = DriverManager.getConnection(maintenanceUrl, database.user(), "");
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
