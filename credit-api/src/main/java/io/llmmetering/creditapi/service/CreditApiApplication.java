package io.llmmetering.creditapi.service;

import io.llmmetering.creditapi.config.CreditApiProperties;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceReader;
import io.llmmetering.creditapi.ledger.ApplierSettings;
import io.llmmetering.creditapi.ledger.BatchApplier;
import io.llmmetering.creditapi.ledger.DebitApplier;
import io.llmmetering.creditapi.ledger.UsagePartitionMaintenance;
import io.llmmetering.creditapi.analytics.UsageRollupJob;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** credit-api: the REST API, the ledger workers and the balance cache. Port 8084. */
@SpringBootApplication(scanBasePackages = "io.llmmetering.creditapi")
@EnableConfigurationProperties(CreditApiProperties.class)
public class CreditApiApplication {

    public static void main(String[] args) {
        SpringApplication.run(CreditApiApplication.class, args);
    }

    @Bean
    @ConditionalOnProperty(name = "credit.system-enabled", havingValue = "true", matchIfMissing = true)
    HealthIndicator ledgerWorkersHealth(LedgerWorkers workers) {
        return () -> (workers.healthy() ? Health.up() : Health.down()).withDetail("debitAppliers",
                workers.healthy() ? "running" : "stopped").build();
    }

    /** Runs before the pool's first connection is used by anything else: the schema must exist first. */
    @Bean
    static SchemaMigration schemaMigration(DataSourceProperties dataSource, CreditApiProperties properties) throws SQLException {
        if (properties.migrateOnStart()) {
            DatabaseMigrator migrator = new DatabaseMigrator(new DatabaseTarget(dataSource.determineUrl(),
                    dataSource.determineUsername(), dataSource.determinePassword()));
            migrator.createDatabaseIfMissing();
            migrator.migrate();
        }
        return new SchemaMigration();
    }

    /** Marker bean: beans that touch the database depend on it, so the migration has run before them. */
    static final class SchemaMigration {
    }

    @Bean(destroyMethod = "close")
    BalanceCache balanceCache(CreditApiProperties properties, MeterRegistry registry) {
        return new BalanceCache(properties.redisUrl(), properties.cacheTtl(), registry);
    }

    @Bean
    BalanceReader balanceReader(SchemaMigration migrated, DataSource dataSource, BalanceCache cache, MeterRegistry registry) {
        return new BalanceReader(dataSource, cache, registry);
    }

    @Bean
    @ConditionalOnProperty(name = "credit.system-enabled", havingValue = "true", matchIfMissing = true)
    LedgerWorkers ledgerWorkers(SchemaMigration migrated, CreditApiProperties properties, DataSource dataSource, BalanceCache cache,
                                MeterRegistry registry) {
        CreditApiProperties.Applier applier = properties.applier();
        ApplierSettings settings = applier.toSettings(properties.bootstrapServers());
        if (applier.concurrency() < 1 || applier.concurrency() > 64) {
            throw new IllegalArgumentException("credit.applier.concurrency must be 1-64, was " + applier.concurrency());
        }
        // each applier is a consumer of its own in the group, with its own partitions and its own transactions:
        // PostgreSQL applies their batches on as many backends, which one applier waiting on each commit cannot
        List<DebitApplier> appliers = new ArrayList<>();
        for (int i = 0; i < applier.concurrency(); i++) {
            appliers.add(new DebitApplier(settings, new BatchApplier(dataSource, applier.consumerGroup()), cache, registry));
        }
        CreditApiProperties.Rollups rollups = properties.rollups();
        return new LedgerWorkers(appliers, new UsageRollupJob(dataSource, rollups.settle(), rollups.hoursPerRun()), rollups.interval(),
                new UsagePartitionMaintenance(dataSource, properties.usageRetentionMonths()));
    }
}
