package io.llmmetering.creditapi.analytics;

import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class UsagePartitionMaintenanceTest {

    @Test
    @org.junit.jupiter.api.Tag("reliability")
    void keepsAYearOfPartitionsAheadAndDropsMonthsPastRetentionWithTheirClaimsAndDeadLetters(TestDatabase database) throws Exception {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT usage_events_create_partitions('2020-01-01', 2)");
            s.execute("INSERT INTO usage_event_claims VALUES ('u', 'old', '2020-01-15'), ('u', 'recent', now())");
            s.execute("INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, record_timestamp, reason, failed_at, archived_at) "
                    + "VALUES ('usage.events.dlq', 0, 1, now(), 'unknown_model', now(), '2020-01-15'), "
                    + "('usage.events.dlq', 0, 2, now(), 'unknown_model', now(), now())");
        }
        UsagePartitionMaintenance maintenance = new UsagePartitionMaintenance(database.dataSource(), 24);

        maintenance.run();

        DateTimeFormatter yyyymm = DateTimeFormatter.ofPattern("yyyyMM");
        YearMonth now = YearMonth.now(ZoneOffset.UTC);
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            assertThat(exists(s, "usage_events_p" + now.plusMonths(12).format(yyyymm))).isTrue();
            assertThat(exists(s, "usage_events_p202001")).isFalse();
            assertThat(exists(s, "usage_events_p" + now.minusMonths(1).format(yyyymm))).isTrue();
            // the claims of the dropped months go with them, and the dead letters archived before them
            assertThat(count(s, "SELECT string_agg(event_id, ',') FROM usage_event_claims")).isEqualTo("recent");
            assertThat(count(s, "SELECT string_agg(kafka_offset::text, ',') FROM dead_letters")).isEqualTo("2");
        }
        assertThat(maintenance.run()).isEmpty();
    }

    @Test
    void aNegativeRetentionIsRefused(TestDatabase database) {
        assertThatThrownBy(() -> new UsagePartitionMaintenance(database.dataSource(), -1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String count(Statement s, String sql) throws Exception {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    private static boolean exists(Statement s, String table) throws Exception {
        try (ResultSet r = s.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
            r.next();
            return r.getBoolean(1);
        }
    }
}
