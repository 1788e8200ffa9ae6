package io.llmmetering.usageingest;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.core.keys.IngestKeyAuthenticator;
import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.usageingest.events.EventNormalizer;
import io.llmmetering.usageingest.publishing.EventPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.kafka.autoconfigure.metrics.KafkaMetricsAutoConfiguration;
import org.springframework.context.annotation.Bean;

import javax.sql.DataSource;

/** usage-ingest: the HTTP front door for proxies. Port 8085. */
@SpringBootApplication(exclude = {KafkaAutoConfiguration.class, KafkaMetricsAutoConfiguration.class})
@EnableConfigurationProperties({UsageIngestProperties.class, KafkaProperties.class})
public class UsageIngestApplication {

    public static void main(String[] args) {
        SpringApplication.run(UsageIngestApplication.class, args);
    }

    @Bean
    EventNormalizer eventNormalizer(UsageIngestProperties properties) {
        return new EventNormalizer(PriceBookReader.defaultPriceBook(), properties.maxClockSkew());
    }

    @Bean(destroyMethod = "close")
    EventPublisher eventPublisher(KafkaClients kafka, MeterRegistry registry) {
        return new EventPublisher(kafka, registry);
    }

    /** Every Kafka client of the service is built from {@code spring.kafka.*}, bound by Spring Boot's own class. */
    @Bean
    KafkaClients kafkaClients(KafkaProperties kafka) {
        return KafkaClients.of(kafka.buildProducerProperties(), kafka.buildConsumerProperties(), kafka.buildAdminProperties(),
                kafka.buildStreamsProperties());
    }

    @Bean
    IngestKeyAuthenticator ingestKeyAuthenticator(DataSource dataSource) {
        return new IngestKeyAuthenticator(dataSource);
    }

    @Bean(destroyMethod = "close")
    Admin kafkaAdmin(KafkaClients kafka) {
        return kafka.healthCheckAdmin();
    }

    /** DOWN when no broker answers within 2 s, or refuses the credentials: the service would answer every request with 503. */
    @Bean
    HealthIndicator kafka(Admin admin) {
        return () -> {
            KafkaClients.ClusterCheck check = KafkaClients.check(admin);
            return check.up() ? Health.up().withDetail("brokers", check.brokers()).build() : Health.down().withDetail("error", check.error()).build();
        };
    }
}
