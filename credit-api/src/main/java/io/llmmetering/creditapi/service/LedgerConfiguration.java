package io.llmmetering.creditapi.service;

import io.llmmetering.creditapi.analytics.UsageRollupJob;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.config.CreditApiProperties;
import io.llmmetering.creditapi.applier.ApplierMonitoring;
import io.llmmetering.creditapi.applier.ApplierSettings;
import io.llmmetering.creditapi.applier.BatchApplier;
import io.llmmetering.creditapi.applier.DebitApplier;
import io.llmmetering.creditapi.applier.UsagePartitionMaintenance;
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
import java.util.ArrayList;
import java.util.List;

/**
 * The asynchronous ledger: the debit appliers, the hourly rollups and the usage_events partition upkeep, run by
 * {@link LedgerWorkers}. Absent with {@code credit.system-enabled=false} and in the {@code api} role.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "credit.system-enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnExpression(RoleConditions.APPLIES_DEBITS)
class LedgerConfiguration {

    @Bean
    HealthIndicator ledgerWorkersHealth(LedgerWorkers workers, ApplierMonitoring monitoring) {
        return () -> {
            List<Integer> stalled = monitoring.progress().stalled();
            boolean healthy = workers.healthy() && stalled.isEmpty();
            return (healthy ? Health.up() : Health.down()).withDetail("debitAppliers", workers.healthy() ? "running" : "stopped")
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

    @Bean
    LedgerWorkers ledgerWorkers(CreditApiProperties properties, KafkaClients kafka, @Qualifier("ledgerPool") ConnectionPool pool, BalanceCache cache, MeterRegistry registry,
                                ApplierMonitoring monitoring) {
        DataSource dataSource = pool.dataSource();
        CreditApiProperties.Applier applier = properties.applier();
        ApplierSettings settings = applier.toSettings();
        if (applier.concurrency() < 1 || applier.concurrency() > 64) {
            throw new IllegalArgumentException("credit.applier.concurrency must be 1-64, was " + applier.concurrency());
        }
        // each applier is a consumer of its own in the group, with its own partitions and its own transactions:
        // PostgreSQL applies their batches on as many backends, which one applier waiting on each commit cannot
        List<DebitApplier> appliers = new ArrayList<>();
        for (int i = 0; i < applier.concurrency(); i++) {
            appliers.add(new DebitApplier(kafka, settings, new BatchApplier(dataSource, applier.consumerGroup()), cache, registry, monitoring));
        }
        CreditApiProperties.Rollups rollups = properties.rollups();
        return new LedgerWorkers(appliers, new UsageRollupJob(dataSource, rollups.settle(), rollups.hoursPerRun()), rollups.interval(),
                new UsagePartitionMaintenance(dataSource, properties.usageRetentionMonths()));
    }
}
