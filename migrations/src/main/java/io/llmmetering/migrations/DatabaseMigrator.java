package io.llmmetering.migrations;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;

/**
 * Applies the schema migrations with Flyway. Each migration runs in its own transaction, and PostgreSQL
 * DDL is transactional, so a migration that fails half-way leaves nothing of itself behind.
 */
public final class DatabaseMigrator {

    public static final String MIGRATIONS_LOCATION = "classpath:db/migration";

    private final DatabaseTarget target;
    private final List<String> locations;

    public DatabaseMigrator(DatabaseTarget target) {
        this(target, List.of(MIGRATIONS_LOCATION));
    }

    DatabaseMigrator(DatabaseTarget target, List<String> locations) {
        this.target = target;
        this.locations = List.copyOf(locations);
    }

    /** Creates the target database if it does not exist yet; returns whether it did. */
    public boolean createDatabaseIfMissing() throws SQLException {
        String name = target.databaseName();
        DatabaseTarget maintenance = target.maintenanceDatabase();
        try (Connection connection = DriverManager.getConnection(maintenance.jdbcUrl(), maintenance.user(), maintenance.password());
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, name);
            try (ResultSet rows = exists.executeQuery()) {
                if (rows.next()) {
                    return false;
                }
            }
            try (Statement create = connection.createStatement()) {
                // CREATE DATABASE takes no bind parameters; the name was checked to be a plain identifier.
                create.execute("CREATE DATABASE \"" + name + "\"");
                return true;
            }
        }
    }

    public MigrateResult migrate() {
        return flyway().migrate();
    }

    public List<MigrationInfo> info() {
        return Arrays.asList(flyway().info().all());
    }

    public List<MigrationInfo> pending() {
        return Arrays.asList(flyway().info().pending());
    }

    private Flyway flyway() {
        return Flyway.configure()
                .dataSource(target.jdbcUrl(), target.user(), target.password())
                .locations(locations.toArray(String[]::new))
                .failOnMissingLocations(true)
                .load();
    }
}
