package io.llmmetering.usageingest;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of usage-ingest ({@code ingest.*}; Kafka's are {@code spring.kafka.*}, shared by every service).
 *
 * @param maxClockSkew how far ahead of this server's clock an event's time may be
 */
@ConfigurationProperties("ingest")
public record UsageIngestProperties(
        @DefaultValue("5m") Duration maxClockSkew) {
}
