package io.llmmetering.creditapi.wiring;

import io.llmmetering.creditapi.analytics.UsageRollupJob;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.config.CreditApiProperties;
import io.llmmetering.creditapi.applier.ApplierMonitoring;
import io.llmmetering.creditapi.applier.ApplierSettings;
import io.llmmetering.creditapi.applier.BatchApplier;
import io.llmmetering.creditapi.applier.DebitApplier;
import io.llmmetering.creditapi.analytics.UsagePartitionMaintenance;
import io.llmmetering.schemas.client.KafkaClients;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The asynchronous ledger: the debit appliers, the hourly rollups and the usage_events partition upkeep, run by
 * the ledger workers ({@link Background}). Absent with {@code credit.system-enabled=false} and in the {@code api} role.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "credit.system-enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnExpression(RoleConditions.APPLIES_DEBITS)
class LedgerConfiguration {

    @Bean
    HealthIndicator ledgerWorkersHealth(@Qualifier("ledgerWorkers") Background workers, DebitAppliers appliers, ApplierMonitoring monitoring) {
        return () -> {
            List<Integer> stalled = monitoring.progress().stalled();
            boolean running = workers.loopsAlive() && appliers.healthy();
            return (running && stalled.isEmpty() ? Health.up() : Health.down()).withDetail("debitAppliers", running ? "running" : "stopped")
                    .withDetail("stalledPartitions", stalled).build();
        };
    }

    @Bean
    ApplierMonitoring applierMonitoring(CreditApiProperties properties, MeterRegistry registry) {
        return ApplierMonitoring.of(registry, properties.applier().stallAfter());
    }

    /**
     * The ledger writers' own connections, apart from the API's pool: requests (anonymous ones too) can never take the
     * connections the appliers need to charge. One per applier, one for the rollup and partition jobs, one spare for
     * the balance refresh of a partition's new owner.
     */
    @Bean(destroyMethod = "close")
    ConnectionPool ledgerPool(CreditApiApplication.SchemaMigration migrated, DataSourceProperties dataSource, CreditApiProperties properties) {
        return ConnectionPool.of(dataSource, "ledger", properties.applier().concurrency() + 2, null);
    }

    /**
     * Each applier is a consumer of its own in the group, with its own partitions and its own transactions:
     * PostgreSQL applies their batches on as many backends, which one applier waiting on each commit cannot.
     */
    @Bean
    DebitAppliers debitAppliers(CreditApiProperties properties, KafkaClients kafka, @Qualifier("ledgerPool") ConnectionPool pool,
                                BalanceCache cache, MeterRegistry registry, ApplierMonitoring monitoring) {
        CreditApiProperties.Applier applier = properties.applier();
        if (applier.concurrency() < 1 || applier.concurrency() > 64) {
            throw new IllegalArgumentException("credit.applier.concurrency must be 1-64, was " + applier.concurrency());
        }
        ApplierSettings settings = applier.toSettings();
        List<DebitApplier> appliers = new ArrayList<>();
        for (int i = 0; i < applier.concurrency(); i++) {
            appliers.add(new DebitApplier(kafka, settings, new BatchApplier(pool.dataSource(), applier.consumerGroup()), cache, registry,
                    monitoring));
        }
        return new DebitAppliers(appliers);
    }

    /** The appliers on threads of their own; the hourly usage rollups and the usage_events partitions on a schedule. */
    @Bean
    Background ledgerWorkers(DebitAppliers appliers, CreditApiProperties properties, @Qualifier("ledgerPool") ConnectionPool pool) {
        List<Background.Loop> loops = new ArrayList<>();
        for (int i = 0; i < appliers.all().size(); i++) {
            DebitApplier applier = appliers.all().get(i);
            loops.add(new Background.Loop("debit-applier-" + i, applier, applier));
        }
        CreditApiProperties.Rollups rollups = properties.rollups();
        UsageRollupJob rollupJob = new UsageRollupJob(pool.dataSource(), rollups.settle(), rollups.hoursPerRun());
        UsagePartitionMaintenance partitions = new UsagePartitionMaintenance(pool.dataSource(), properties.usageRetentionMonths());
        // a failed rollup: analytics read unrolled hours from usage_events meanwhile; failed partition upkeep: the
        // default partition takes events meanwhile; either way the next run tries again
        return new Background("ledger-maintenance", loops, List.of(
                new Background.Job("usage_events partitions", Duration.ZERO, Duration.ofHours(24), partitions::run),
                new Background.Job("usage rollup", rollups.interval(), rollups.interval(), () -> rollupJob.run(Instant.now()))));
    }

    /** The appliers of this process. */
    record DebitAppliers(List<DebitApplier> all) {

        /** None is recovering from a failure outside a batch: if one were, debits would not be reaching the ledger now. */
        boolean healthy() {
            return all.stream().allMatch(DebitApplier::healthy);
        }
    }
}
