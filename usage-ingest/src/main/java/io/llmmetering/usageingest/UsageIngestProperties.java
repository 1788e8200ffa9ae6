package io.llmmetering.usageingest;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of usage-ingest ({@code ingest.*}; {@code KAFKA_BOOTSTRAP_SERVERS} maps onto bootstrap-servers).
 *
 * @param maxClockSkew how far ahead of this server's clock an event's time may be
 */
@ConfigurationProperties("ingest")
public record UsageIngestProperties(
        @DefaultValue("127.0.0.1:9092") String bootstrapServers,
        @DefaultValue("5m") Duration maxClockSkew) {
}
