package io.llmmetering.creditapi.web;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The CSV exports: what they hold to the nano-credit, who may read which, and that they stream. */
@Tag("integration")
class ExportsEndpointsTest {

    private final ApiServer api = ApiServer.get();
    private final String admin = api.adminToken();

    private static List<CSVRecord> csv(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        assertThat(response.headers().firstValue("Content-Disposition").orElse("")).startsWith("attachment; filename=");
        return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(new StringReader(response.body())).getRecords();
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains("\"type\":\"https://llm-metering.dev/problems/" + type + "\"");
    }

    @Test
    void aUserExportsTheirOwnLedgerWithExactDecimalsOldestFirst() throws Exception {
        String user = "export-" + System.nanoTime() + "@example.com";
        String token = api.userToken(user);
        api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + user + "\",\"amount\":10.000000001,\"reason\":\"=HYPERLINK(\\\"http://evil\\\")\"}");
        api.post("/api/v1/admin/credits/purchase", admin, "{\"user_id\":\"" + user + "\",\"amount\":5,\"external_reference\":\"pi_exp_" + System.nanoTime() + "\"}");
        api.post("/api/v1/credits/deduct", token, "{\"amount\":0.000000003,\"reason\":\"a, \\\"quoted\\\" reason\\nover two lines\"}");
        api.post("/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"someone-else-" + System.nanoTime() + "\",\"amount\":1}");

        List<CSVRecord> rows = csv(api.get("/api/v1/credits/transactions/export", token));
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).getParser().getHeaderNames()).containsExactly("created_at", "transaction_id", "user_id", "transaction_type",
                "amount", "balance_after", "reason", "provider", "model", "tokens_used", "power_level", "event_count", "metadata");
        assertThat(rows).extracting(r -> r.get("user_id")).containsOnly(user);
        assertThat(rows).extracting(r -> r.get("transaction_type")).containsExactly("allocation", "purchase", "deduction");
        assertThat(rows).extracting(r -> r.get("amount")).containsExactly("10.000000001", "5.000000000", "-0.000000003");
        assertThat(rows.get(2).get("balance_after")).isEqualTo("14.999999998");
        assertThat(rows.get(0).get("reason")).as("a formula is made inert").isEqualTo("'=HYPERLINK(\"http://evil\")");
        assertThat(rows.get(2).get("reason")).isEqualTo("a, \"quoted\" reason\nover two lines");
        assertThat(Instant.parse(rows.get(0).get("created_at"))).isBefore(Instant.now().plusSeconds(1));
        BigDecimal sum = rows.stream().map(r -> new BigDecimal(r.get("amount"))).reduce(BigDecimal.ZERO, BigDecimal::add);
        assertThat(sum).isEqualByComparingTo("14.999999998");

        assertThat(csv(api.get("/api/v1/credits/transactions/export?type=purchase", token))).hasSize(1);
        assertThat(csv(api.get("/api/v1/credits/transactions/export?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z", token))).isEmpty();
        List<CSVRecord> adminView = csv(api.get("/api/v1/admin/transactions/export?user_id=" + user + "&type=deduction", admin));
        assertThat(adminView).hasSize(1);
        assertThat(adminView.get(0).get("amount")).isEqualTo("-0.000000003");
    }

    @Test
    void usageByDayUserAndModelSumsTheChargedEventsExactly() throws Exception {
        String user = "usage-export-" + System.nanoTime();
        Instant dayOne = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(2, ChronoUnit.DAYS);
        try (Connection connection = api.dataSource().getConnection();
             PreparedStatement insert = connection.prepareStatement("""
                     INSERT INTO usage_events (event_id, occurred_at, user_id, provider, model, input_tokens, output_tokens, cost, price_version, priced_at)
                     VALUES (?, ?, ?, 'openai', ?, ?, ?, ?, 'test', now())""")) {
            Object[][] events = {
                    {dayOne.plus(1, ChronoUnit.HOURS), "gpt-4o", 100, 10, "0.000000001"},
                    {dayOne.plus(23, ChronoUnit.HOURS), "gpt-4o", 200, 20, "1.500000000"},
                    {dayOne.plus(5, ChronoUnit.HOURS), "gpt-4o-mini", 7, 3, "0.25"},
                    {dayOne.plus(25, ChronoUnit.HOURS), "gpt-4o", 1, 1, "0.000000002"}};
            for (int i = 0; i < events.length; i++) {
                insert.setString(1, user + "-e" + i);
                insert.setTimestamp(2, java.sql.Timestamp.from((Instant) events[i][0]));
                insert.setString(3, user);
                insert.setString(4, (String) events[i][1]);
                insert.setLong(5, (Integer) events[i][2]);
                insert.setLong(6, (Integer) events[i][3]);
                insert.setBigDecimal(7, new BigDecimal((String) events[i][4]));
                insert.executeUpdate();
            }
        }
        List<CSVRecord> rows = csv(api.get("/api/v1/admin/usage/export?from=" + dayOne + "&to=" + dayOne.plus(2, ChronoUnit.DAYS), admin))
                .stream().filter(r -> r.get("user_id").equals(user)).toList();
        assertThat(rows).extracting(r -> r.get("day") + " " + r.get("model") + " " + r.get("requests") + " " + r.get("input_tokens") + " "
                + r.get("output_tokens") + " " + r.get("cost")).containsExactly(
                dayOne + " gpt-4o 2 300 30 1.500000001",
                dayOne + " gpt-4o-mini 1 7 3 0.250000000",
                dayOne.plus(1, ChronoUnit.DAYS) + " gpt-4o 1 1 1 0.000000002");
        assertThat(rows.get(0).getParser().getHeaderNames()).containsExactly("day", "user_id", "model", "requests", "input_tokens",
                "output_tokens", "cost");
    }

    @Test
    void aLargeExportStreamsEveryRowAndBusySlotsAreRefusedThenFreed() throws Exception {
        String user = "bulk-export-" + System.nanoTime();
        int pairs = 50_000;
        try (Connection connection = api.dataSource().getConnection();
             PreparedStatement fill = connection.prepareStatement("""
                     WITH account AS (INSERT INTO user_credits (user_id) VALUES (?) RETURNING user_id)
                     INSERT INTO credit_transactions (user_id, amount, balance_after, transaction_type, reason, created_at)
                     SELECT a.user_id, CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END, CASE WHEN g % 2 = 0 THEN 1 ELSE 0 END,
                            CASE WHEN g % 2 = 0 THEN 'allocation' ELSE 'adjustment' END, 'bulk', now() - interval '1 hour' + g * interval '1 microsecond'
                       FROM account a, generate_series(0, ? - 1) g""")) {
            fill.setString(1, user);
            fill.setInt(2, pairs * 2);
            fill.executeUpdate();
        }
        HttpResponse<String> whole = api.get("/api/v1/admin/transactions/export?user_id=" + user, admin);
        assertThat(whole.headers().firstValue("Content-Length")).as("streamed, not buffered").isEmpty();
        List<CSVRecord> rows = csv(whole);
        assertThat(rows).hasSize(pairs * 2);
        assertThat(rows.get(0).get("amount")).isEqualTo("1.000000000");
        assertThat(rows.get(rows.size() - 1).get("amount")).isEqualTo("-1.000000000");

        List<InputStream> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            HttpResponse<InputStream> open = api.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port
                            + "/api/v1/admin/transactions/export?user_id=" + user)).header("Authorization", "Bearer " + admin).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(open.statusCode()).isEqualTo(200);
            held.add(open.body());
        }
        HttpResponse<String> busy = api.get("/api/v1/admin/transactions/export?user_id=" + user, admin);
        assertProblem(busy, 503, "exports-busy");
        assertThat(busy.headers().firstValue("Retry-After")).contains("30");
        for (InputStream stream : held) {
            stream.transferTo(java.io.OutputStream.nullOutputStream());
            stream.close();
        }
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> api.get("/api/v1/admin/transactions/export?user_id=" + user + "&type=allocation", admin).statusCode() == 200);
    }

    @Test
    @Tag("security")
    void exportsAreTheCallersOwnOrAnAdminsAndBadParametersAreProblems() throws Exception {
        String user = "export-guard-" + System.nanoTime() + "@example.com";
        assertProblem(api.get("/api/v1/credits/transactions/export", null), 401, "unauthenticated");
        assertProblem(api.get("/api/v1/admin/transactions/export", api.userToken(user)), 403, "forbidden");
        assertProblem(api.get("/api/v1/admin/usage/export", api.userToken(user)), 403, "forbidden");
        assertProblem(api.get("/api/v1/credits/transactions/export", api.tokens.service("export-proxy", Duration.ofMinutes(5))), 403, "forbidden");
        assertThat(csv(api.get("/api/v1/credits/transactions/export?user_id=admin@example.com", api.userToken(user))))
                .as("a user_id parameter does not reach another account").isEmpty();
        assertProblem(api.get("/api/v1/credits/transactions/export?type=bogus", api.userToken(user)), 400, "validation");
        assertProblem(api.get("/api/v1/credits/transactions/export?from=yesterday", api.userToken(user)), 400, "validation");
        assertProblem(api.get("/api/v1/admin/transactions/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", admin), 400, "validation");
        assertProblem(api.get("/api/v1/admin/usage/export?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", admin), 400, "validation");
        assertProblem(api.get("/api/v1/admin/transactions/export?user_id=%00", admin), 400, "validation");
        assertProblem(api.get("/api/v1/admin/transactions/export?type=usage%27%3BDROP%20TABLE%20credit_transactions", admin), 400, "validation");
    }
}
