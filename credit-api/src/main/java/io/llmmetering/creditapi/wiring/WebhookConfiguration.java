package io.llmmetering.creditapi.wiring;

import io.llmmetering.creditapi.webhooks.WebhookDispatcher;
import io.llmmetering.creditapi.webhooks.WebhookEndpoints;
import io.llmmetering.creditapi.webhooks.WebhookSettings;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;
import java.util.List;

/**
 * Webhooks: the admin's endpoints and the dispatcher that sends the outbox's deliveries. Every process runs a
 * dispatcher whatever its role; they share the work through PostgreSQL (each delivery is claimed by one).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WebhookSettings.class)
class WebhookConfiguration {

    @Bean
    WebhookEndpoints webhookEndpoints(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, WebhookSettings settings) {
        return new WebhookEndpoints(dataSource, settings);
    }

    @Bean
    Background webhookDispatch(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, WebhookSettings settings,
                               MeterRegistry registry) {
        WebhookDispatcher dispatcher = new WebhookDispatcher(dataSource, settings, registry);
        return new Background("webhook-dispatch", List.of(new Background.Loop("webhook-dispatcher", dispatcher, dispatcher)), List.of());
    }
}
