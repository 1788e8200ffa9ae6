package io.llmmetering.creditapi.rollups;

import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.schemas.UsageRollup;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class RollupWriterTest {

    private static DataSource dataSource;
    private static final Instant HOUR = Instant.parse("2026-11-25T10:00:00Z");

    @BeforeAll
    static void migrate(TestDatabase database) {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        dataSource = database.dataSource();
    }

    static UsageRollup rollup(String user, long requests, long costNanos, Instant updatedAt) {
        return UsageRollup.newBuilder().setUserId(user).setModel("gpt-4o").setProvider("openai").setGranularity("hour")
                .setWindowStart(HOUR).setWindowEnd(HOUR.plusSeconds(3600)).setRequests(requests).setInputTokens(requests * 100)
                .setOutputTokens(requests * 10).setCachedInputTokens(0).setCostNanos(costNanos).setUpdatedAt(updatedAt).build();
    }

    @Test
    void aRollupReplacesItsWindowAndAReplayChangesNothing() throws SQLException {
        RollupWriter writer = new RollupWriter(dataSource);
        writer.write(List.of(rollup("r1", 3, 3_000, HOUR.plusSeconds(60))));
        writer.write(List.of(rollup("r1", 5, 5_000, HOUR.plusSeconds(90))));
        writer.write(List.of(rollup("r1", 5, 5_000, HOUR.plusSeconds(90))));
        assertThat(query("SELECT requests || ':' || cost FROM usage_rollups WHERE user_id = 'r1'")).isEqualTo("5:0.000005000");
    }

    @Test
    void anOlderRecordNeverOverwritesANewerOne() throws SQLException {
        RollupWriter writer = new RollupWriter(dataSource);
        writer.write(List.of(rollup("r2", 9, 9_000, HOUR.plusSeconds(120))));
        writer.write(List.of(rollup("r2", 4, 4_000, HOUR.plusSeconds(60))));
        assertThat(query("SELECT requests::text FROM usage_rollups WHERE user_id = 'r2'")).isEqualTo("9");
    }

    @Test
    void twoRecordsForOneWindowInABatchKeepTheNewest() throws SQLException {
        int written = new RollupWriter(dataSource).write(List.of(rollup("r3", 7, 7, HOUR.plusSeconds(70)), rollup("r3", 2, 2, HOUR.plusSeconds(20))));
        assertThat(written).isEqualTo(1);
        assertThat(query("SELECT requests::text FROM usage_rollups WHERE user_id = 'r3'")).isEqualTo("7");
    }

    private static String query(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }
}
