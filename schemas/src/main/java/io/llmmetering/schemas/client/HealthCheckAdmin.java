package io.llmmetering.schemas.client;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.util.Map;

/**
 * The Kafka admin client a service's health check asks "does a broker answer?": short timeouts, so a dead
 * broker shows as DOWN within seconds instead of holding the health endpoint for Kafka's default minute.
 */
public final class HealthCheckAdmin {

    private HealthCheckAdmin() {
    }

    public static Admin create(String bootstrapServers) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000));
    }
}
