package io.llmmetering.creditapi.applier;

import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.testsupport.PostgresDatabaseExtension;
import io.llmmetering.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The applier's alerts become webhook deliveries in the batch's own transaction: with its charge, or not at all. */
@Tag("integration")
@ExtendWith(PostgresDatabaseExtension.class)
class AlertWebhooksTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static DataSource dataSource;
    private static final long T0 = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();

    @BeforeAll
    static void migrate(TestDatabase database) throws SQLException {
        new DatabaseMigrator(new DatabaseTarget(database.jdbcUrl(), database.user(), "")).migrate();
        dataSource = database.dataSource();
        execute("INSERT INTO webhook_endpoints (url, event_types, secret) VALUES "
                + "('https://alerts.example.com/hook', '{balance.low,spend.cap_reached}', 'whsec_c2VjcmV0'), "
                + "('https://other.example.com/hook', '{hold.expired}', 'whsec_c2VjcmV0')");
        execute("INSERT INTO webhook_endpoints (url, event_types, secret, enabled) VALUES ('https://paused.example.com/hook', '{balance.low}', 'whsec_c2VjcmV0', false)");
    }

    @Test
    void aCrossingThatRollsBackQueuesNothingAndOneThatCommitsQueuesItsAlertOncePerSubscriber() throws SQLException {
        execute("INSERT INTO user_credits (user_id, balance) VALUES ('low@example.com', 10)");
        BatchApplier failing = new BatchApplier(dataSource, "alerts", () -> {
            throw new IllegalStateException("crash before commit");
        }).raisingAlerts(ApplierSettings.defaults());
        List<LedgerDebit> crossing = List.of(BatchApplierTest.debit("low-1", "low@example.com", 9_500_000_000L, T0));
        assertThatThrownBy(() -> failing.apply(crossing, List.of())).hasMessageContaining("crash before commit");
        assertThat(deliveries("low@example.com")).isEmpty();

        AppliedBatch batch = new BatchApplier(dataSource, "alerts").raisingAlerts(ApplierSettings.defaults()).apply(crossing, List.of());
        assertThat(batch.alerts()).extracting(alert -> alert.getKind().toString()).containsExactly("low_balance");
        List<JsonNode> queued = deliveries("low@example.com");
        assertThat(queued).hasSize(1);
        JsonNode body = queued.get(0);
        assertThat(body.get("type").asString()).isEqualTo("balance.low");
        assertThat(body.get("data").get("user_id").asString()).isEqualTo("low@example.com");
        assertThat(body.get("data").get("observed").decimalValue()).isEqualByComparingTo("0.5");
        assertThat(body.get("data").get("threshold").decimalValue()).isEqualByComparingTo("1");
        assertThat(body.get("data").get("alert_id").asString()).isEqualTo(batch.alerts().get(0).getAlertId().toString());

        new BatchApplier(dataSource, "alerts").raisingAlerts(ApplierSettings.defaults())
                .apply(List.of(BatchApplierTest.debit("low-2", "low@example.com", 100_000_000L, T0 + 1)), List.of());
        assertThat(deliveries("low@example.com")).as("already below: no second crossing").hasSize(1);
    }

    @Test
    void anApplierThatRaisesNoAlertsQueuesNothing() throws SQLException {
        execute("INSERT INTO user_credits (user_id, balance) VALUES ('quiet@example.com', 10)");
        new BatchApplier(dataSource, "quiet").apply(List.of(BatchApplierTest.debit("q-1", "quiet@example.com", 9_500_000_000L, T0)), List.of());
        assertThat(deliveries("quiet@example.com")).isEmpty();
    }

    private static List<JsonNode> deliveries(String user) throws SQLException {
        List<JsonNode> bodies = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT d.payload, e.url FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id ORDER BY d.id")) {
            while (rows.next()) {
                JsonNode body = JSON.readTree(rows.getString(1));
                if (body.get("data").path("user_id").asString("").equals(user)) {
                    assertThat(rows.getString(2)).isEqualTo("https://alerts.example.com/hook");
                    bodies.add(body);
                }
            }
        }
        return bodies;
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
