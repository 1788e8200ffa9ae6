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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Applies the schema migrations with Flyway. Each migration runs in its own transaction, and PostgreSQL
 * DDL is transactional, so a migration that fails half-way leaves nothing of itself behind.
 */
public final class DatabaseMigrator {

    public static final String MIGRATIONS_LOCATION = "classpath:db/migration";
    private static final String ROLLBACK_LOCATION = "/db/rollback/";

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

    /** Migrates up to {@code version} only: how a database of an earlier release looks. */
    MigrateResult migrateTo(int version) {
        return Flyway.configure().configuration(flyway().getConfiguration()).target(String.valueOf(version)).load().migrate();
    }

    public List<MigrationInfo> info() {
        return Arrays.asList(flyway().info().all());
    }

    /** PostgreSQL's {@code server_version_num} (150004 for 15.4) of the target's server. */
    public int serverVersionNumber() throws SQLException {
        try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
             java.sql.Statement statement = connection.createStatement();
             java.sql.ResultSet row = statement.executeQuery("SHOW server_version_num")) {
            row.next();
            return Integer.parseInt(row.getString(1));
        }
    }

    /** The newest migration this release ships. */
    public String latestVersion() {
        MigrationInfo[] all = flyway().info().all();
        return all.length == 0 ? "none" : all[all.length - 1].getVersion().getVersion();
    }

    public List<MigrationInfo> pending() {
        return Arrays.asList(flyway().info().pending());
    }

    /** The version the schema is at: 0 before the first migration. */
    public int currentVersion() {
        MigrationInfo current = flyway().info().current();
        return current == null || current.getVersion() == null ? 0 : Integer.parseInt(current.getVersion().getVersion());
    }

    /**
     * Undoes the applied migrations above {@code version}, newest first, each with its written down-script
     * ({@code db/rollback/U<n>__<name>.sql}, the mirror of {@code V<n>__<name>.sql}), and removes them from Flyway's
     * history, all in one transaction: the schema ends at {@code version} or, if any step fails, stays as it was.
     * Returns the scripts run.
     */
    public List<String> rollbackTo(int version) throws SQLException {
        int current = currentVersion();
        if (version < 0 || version > current) {
            throw new IllegalArgumentException("--to must be between 0 and the current version " + current + ", was " + version);
        }
        List<MigrationInfo> undo = Arrays.stream(flyway().info().applied())
                .filter(m -> m.getVersion() != null && Integer.parseInt(m.getVersion().getVersion()) > version)
                .sorted(Comparator.comparing(MigrationInfo::getVersion).reversed())
                .toList();
        List<String> scripts = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password())) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement();
                 PreparedStatement forget = connection.prepareStatement("DELETE FROM flyway_schema_history WHERE version = ?")) {
                for (MigrationInfo migration : undo) {
                    String script = "U" + migration.getScript().substring(1);
                    statement.execute(downScript(script));
                    forget.setString(1, migration.getVersion().getVersion());
                    forget.executeUpdate();
                    scripts.add(script);
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
        return scripts;
    }

    private static String downScript(String name) {
        try (InputStream in = DatabaseMigrator.class.getResourceAsStream(ROLLBACK_LOCATION + name)) {
            if (in == null) {
                throw new IllegalStateException("no down-script " + ROLLBACK_LOCATION + name + ": this version cannot be rolled back");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Flyway flyway() {
        return Flyway.configure()
                .dataSource(target.jdbcUrl(), target.user(), target.password())
                .locations(locations.toArray(String[]::new))
                .failOnMissingLocations(true)
                .load();
    }
}
