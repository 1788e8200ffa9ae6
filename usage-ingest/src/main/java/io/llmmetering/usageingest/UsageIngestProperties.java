package io.llmmetering.usageingest;

import io.llmmetering.schemas.UsageEventRules;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The event rules' settings ({@code metering.events.*}), which the topology reads under the same names; Kafka's are
 * {@code spring.kafka.*}, shared by every service.
 *
 * @param maxClockSkew how far ahead of this server's clock an event's time may be
 */
@ConfigurationProperties("metering.events")
public record UsageIngestProperties(
        @DefaultValue(UsageEventRules.DEFAULT_MAX_CLOCK_SKEW) Duration maxClockSkew) {
}
