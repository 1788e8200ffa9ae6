package io.llmmetering.creditapi.wiring;

import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.migrations.DatabaseMigrator;

import java.sql.SQLException;
import java.util.Optional;

/**
 * What credit-api needs of the servers it uses, checked once at start: a server too old or a schema the migrations
 * step has not brought up to date stops the start with one line saying what to do, instead of failing later on
 * the first statement or cache write that needs it.
 */
final class StartupChecks {

    /** {@code gen_random_uuid()} (the first migration) is built in from PostgreSQL 13. */
    static final int POSTGRESQL_MINIMUM = 130_000;
    /** The balance cache's script uses {@code SET ... GET}-era commands: Redis 6.2. */
    static final int[] REDIS_MINIMUM = {6, 2};

    private StartupChecks() {
    }

    static void postgresql(DatabaseMigrator database) throws SQLException {
        int version = database.serverVersionNumber();
        if (version < POSTGRESQL_MINIMUM) {
            throw new IllegalStateException("PostgreSQL " + version / 10_000 + " is too old: credit-api needs PostgreSQL 13 or later");
        }
    }

    static void schema(DatabaseMigrator database) {
        if (!database.pending().isEmpty()) {
            throw new IllegalStateException("the schema is at version " + database.currentVersion() + " and this release needs "
                    + database.latestVersion() + ": run the migrations step (java -jar metering-migrations.jar migrate) first");
        }
    }

    /** Redis is a cache: one that does not answer now is fine (reads go to PostgreSQL); one too old is not. */
    static void redis(BalanceCache cache) {
        Optional<String> version = cache.serverVersion();
        if (version.isPresent() && !atLeast(version.get(), REDIS_MINIMUM)) {
            throw new IllegalStateException("Redis " + version.get() + " is too old: the balance cache needs Redis 6.2 or later");
        }
    }

    static boolean atLeast(String version, int[] minimum) {
        String[] parts = version.split("\\.");
        for (int i = 0; i < minimum.length; i++) {
            int part = i < parts.length ? Integer.parseInt(parts[i].replaceAll("\\D.*", "")) : 0;
            if (part != minimum[i]) {
                return part > minimum[i];
            }
        }
        return true;
    }
}
