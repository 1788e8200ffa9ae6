package io.llmmetering.creditapi.wiring;

import io.llmmetering.creditapi.config.CreditApiProperties;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceReader;
import io.llmmetering.migrations.DatabaseMigrator;
import io.llmmetering.migrations.DatabaseTarget;
import io.llmmetering.schemas.client.KafkaClients;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.kafka.autoconfigure.metrics.KafkaMetricsAutoConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.context.annotation.Bean;

import javax.sql.DataSource;
import java.sql.SQLException;

/** credit-api: the REST API, the ledger workers and the balance cache. Port 8084. */
@SpringBootApplication(scanBasePackages = "io.llmmetering.creditapi", exclude = {KafkaAutoConfiguration.class, KafkaMetricsAutoConfiguration.class})
@EnableConfigurationProperties({CreditApiProperties.class, KafkaProperties.class})
public class CreditApiApplication {

    public static void main(String[] args) {
        SpringApplication.run(CreditApiApplication.class, args);
    }

    /**
     * Runs before the pool's first connection is used by anything else: the schema must exist first. Where the
     * migrations are a step of the deployment ({@code credit.migrate-on-start=false}) the service only checks that
     * the step ran, and refuses to start with one clear line when it did not.
     */
    @Bean
    static SchemaMigration schemaMigration(DataSourceProperties dataSource, CreditApiProperties properties) throws SQLException {
        DatabaseMigrator migrator = new DatabaseMigrator(new DatabaseTarget(dataSource.determineUrl(),
                dataSource.determineUsername(), dataSource.determinePassword()));
        if (properties.migrateOnStart()) {
            migrator.createDatabaseIfMissing();
        }
        StartupChecks.postgresql(migrator);
        if (properties.migrateOnStart()) {
            migrator.migrate();
        }
        StartupChecks.schema(migrator);
        return new SchemaMigration();
    }

    /**
     * Every Kafka client of the service is built from {@code spring.kafka.*}, bound by Spring Boot's own class (its
     * auto-configuration of templates and listener containers is left out: nothing here uses them).
     */
    @Bean
    KafkaClients kafkaClients(KafkaProperties kafka) {
        return KafkaClients.of(kafka.buildProducerProperties(), kafka.buildConsumerProperties(), kafka.buildAdminProperties(),
                kafka.buildStreamsProperties());
    }

    @Bean(destroyMethod = "close")
    Admin kafkaHealthCheckAdmin(KafkaClients kafka) {
        return kafka.healthCheckAdmin();
    }

    /** Marker bean: beans that touch the database depend on it, so the migration has run before them. */
    static final class SchemaMigration {
    }

    @Bean(destroyMethod = "close")
    BalanceCache balanceCache(CreditApiProperties properties, MeterRegistry registry) {
        BalanceCache cache = new BalanceCache(properties.redisUrl(), properties.cacheTtl(), registry);
        StartupChecks.redis(cache);
        return cache;
    }

    @Bean
    BalanceReader balanceReader(SchemaMigration migrated, DataSource dataSource, BalanceCache cache, MeterRegistry registry) {
        return new BalanceReader(dataSource, cache, registry);
    }
}
