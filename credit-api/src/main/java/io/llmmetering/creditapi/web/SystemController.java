package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.applier.ApplierMonitoring;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.config.CreditApiProperties;
import io.llmmetering.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/v1/system/status}, public: what an operator checks first. 200 when PostgreSQL (the ledger)
 * answers, 503 when it does not; Redis and Kafka being down, or a partition of debits that stopped moving, degrade
 * the system without stopping reads. Anyone sees the status; only an admin sees the components, versions and lag.
 * The checks run at most once per {@link #CHECK_INTERVAL} whatever the request rate, so anonymous callers cannot
 * take the connections the ledger needs.
 */
@RestController
@Tag(name = "System")
final class SystemController {

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(2);
    private static final String APPLIER_OFFSETS = "SELECT partition_id, next_offset FROM applier_offsets WHERE consumer_group = ? AND topic = ?";

    private final DataSource dataSource;
    private final BalanceCache cache;
    private final Admin kafka;
    private final CreditApiProperties properties;
    private final MeterRegistry meters;
    private final ObjectProvider<ApplierMonitoring> appliers;
    private Checked last;

    private record Checked(ResponseEntity<Responses.SystemStatus> answer, long atNanos) {
    }

    SystemController(DataSource dataSource, BalanceCache cache, Admin kafka, CreditApiProperties properties, MeterRegistry meters,
                     ObjectProvider<ApplierMonitoring> appliers) {
        this.dataSource = dataSource;
        this.cache = cache;
        this.kafka = kafka;
        this.properties = properties;
        this.meters = meters;
        this.appliers = appliers;
    }

    @Operation(operationId = "getSystemStatus", summary = "ok, degraded or down; to an admin also versions and the state of PostgreSQL, Redis, Kafka, the applier's lag and stalled partitions")
    @GetMapping("/api/v1/system/status")
    ResponseEntity<Responses.SystemStatus> status(Authentication caller) {
        ResponseEntity<Responses.SystemStatus> checked = checked();
        if (caller != null && caller.getAuthorities().stream().anyMatch(a -> a.getAuthority().equals("ROLE_ADMIN"))) {
            return checked;
        }
        Responses.SystemStatus full = checked.getBody();
        return ResponseEntity.status(checked.getStatusCode())
                .body(new Responses.SystemStatus(full.status(), full.service(), null, full.creditSystemEnabled(), null));
    }

    private synchronized ResponseEntity<Responses.SystemStatus> checked() {
        if (last == null || System.nanoTime() - last.atNanos() > CHECK_INTERVAL.toNanos()) {
            last = new Checked(check(), System.nanoTime());
        }
        return last.answer();
    }

    private ResponseEntity<Responses.SystemStatus> check() {
        Map<Integer, Long> applied = new HashMap<>();
        Responses.Component postgresql;
        try (Connection connection = dataSource.getConnection()) {
            String version;
            try (PreparedStatement statement = connection.prepareStatement("SHOW server_version"); ResultSet row = statement.executeQuery()) {
                row.next();
                version = row.getString(1);
            }
            try (PreparedStatement statement = connection.prepareStatement(APPLIER_OFFSETS)) {
                statement.setString(1, properties.applier().consumerGroup());
                statement.setString(2, Topics.CREDIT_DEBITS);
                try (ResultSet row = statement.executeQuery()) {
                    while (row.next()) {
                        applied.put(row.getInt(1), row.getLong(2));
                    }
                }
            }
            postgresql = new Responses.Component("up", version);
        } catch (Exception e) {
            postgresql = Responses.Component.of(false);
        }
        boolean database = postgresql.status().equals("up");
        Responses.Component redis = Responses.Component.of(cache.ping());
        Integer brokers = null;
        Long lag = null;
        boolean kafkaUp = false;
        try {
            brokers = kafka.describeCluster().nodes().get(2, TimeUnit.SECONDS).size();
            var partitions = kafka.describeTopics(java.util.List.of(Topics.CREDIT_DEBITS)).allTopicNames().get(2, TimeUnit.SECONDS)
                    .get(Topics.CREDIT_DEBITS).partitions();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> latest.put(new TopicPartition(Topics.CREDIT_DEBITS, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = kafka.listOffsets(latest).all().get(2, TimeUnit.SECONDS);
            long total = 0;
            for (var end : ends.entrySet()) {
                total += Math.max(0, end.getValue().offset() - applied.getOrDefault(end.getKey().partition(), 0L));
            }
            lag = database ? total : null;
            kafkaUp = true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
        // debits this instance's appliers sent to credit.debits.dlq since it started (the usage page shows it)
        long deadLettered = (long) meters.find("credit.applier.debits.dead_lettered").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
        ApplierMonitoring monitoring = appliers.getIfAvailable();
        List<Integer> stalled = monitoring == null ? null : monitoring.progress().stalled();
        Responses.Components components = new Responses.Components(postgresql, redis,
                new Responses.KafkaComponent(brokers, kafkaUp ? "up" : "down"),
                new Responses.ApplierComponent(properties.applier().consumerGroup(), lag, deadLettered, stalled));
        boolean moving = stalled == null || stalled.isEmpty();
        String status = !database ? "down" : redis.status().equals("up") && kafkaUp && moving ? "ok" : "degraded";
        return ResponseEntity.status(database ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(new Responses.SystemStatus(status, "credit-api", version(), properties.systemEnabled(), components));
    }

    private static String version() {
        String version = SystemController.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }
}
