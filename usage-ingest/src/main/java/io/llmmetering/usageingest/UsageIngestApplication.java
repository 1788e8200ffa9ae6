package io.llmmetering.usageingest;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.core.keys.IngestKeyAuthenticator;
import io.llmmetering.schemas.client.HealthCheckAdmin;
import io.llmmetering.usageingest.events.EventNormalizer;
import io.llmmetering.usageingest.publishing.EventPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import javax.sql.DataSource;
import java.util.concurrent.TimeUnit;

/** usage-ingest: the HTTP front door for proxies. Port 8085. */
@SpringBootApplication
@EnableConfigurationProperties(UsageIngestProperties.class)
public class UsageIngestApplication {

    public static void main(String[] args) {
        SpringApplication.run(UsageIngestApplication.class, args);
    }

    @Bean
    EventNormalizer eventNormalizer(UsageIngestProperties properties) {
        return new EventNormalizer(PriceBookReader.defaultPriceBook(), properties.maxClockSkew());
    }

    @Bean(destroyMethod = "close")
    EventPublisher eventPublisher(UsageIngestProperties properties, MeterRegistry registry) {
        return new EventPublisher(properties.bootstrapServers(), registry);
    }

    @Bean
    IngestKeyAuthenticator ingestKeyAuthenticator(DataSource dataSource) {
        return new IngestKeyAuthenticator(dataSource);
    }

    @Bean(destroyMethod = "close")
    Admin kafkaAdmin(UsageIngestProperties properties) {
        return HealthCheckAdmin.create(properties.bootstrapServers());
    }

    /** DOWN when no broker answers within 2 s: the service would answer every request with 503. */
    @Bean
    HealthIndicator kafka(Admin admin) {
        return () -> {
            try {
                int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000)).nodes().get(3, TimeUnit.SECONDS).size();
                return Health.up().withDetail("brokers", brokers).build();
            } catch (Exception e) {
                return Health.down().withDetail("error", e.getClass().getSimpleName()).build();
            }
        };
    }
}
