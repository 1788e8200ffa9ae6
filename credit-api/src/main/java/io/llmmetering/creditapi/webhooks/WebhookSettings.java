package io.llmmetering.creditapi.webhooks;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * Webhook deliveries ({@code credit.webhooks.*}).
 *
 * @param retrySchedule         the pause before each retry of a delivery that failed; after the last one it is
 *                              {@code failed} (the default adds up to a little over a day, as Standard Webhooks
 *                              senders do)
 * @param timeout               the longest a receiver may take to answer, connection included
 * @param senders               deliveries in flight at once per process; each endpoint has at most one, so a slow
 *                              or dead endpoint holds one sender, never the others
 * @param pollInterval          how often due deliveries are looked for when there were none
 * @param allowPrivateNetworks  CIDR ranges of private, loopback or link-local addresses that targets may resolve to
 *                              ({@code 10.20.0.0/16}); every other such address is refused, at registration and
 *                              before each attempt, so a webhook cannot reach the service's own network
 */
@ConfigurationProperties("credit.webhooks")
public record WebhookSettings(
        @DefaultValue({"5s", "30s", "2m", "10m", "30m", "1h", "2h", "4h", "8h", "8h"}) List<Duration> retrySchedule,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("8") int senders,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue List<String> allowPrivateNetworks) {

    public WebhookSettings {
        if (retrySchedule.isEmpty() || retrySchedule.stream().anyMatch(pause -> pause.isNegative() || pause.isZero())) {
            throw new IllegalArgumentException("credit.webhooks.retry-schedule must list positive pauses");
        }
        if (timeout.isNegative() || timeout.isZero() || senders < 1 || senders > 256 || pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("credit.webhooks: timeout and poll-interval must be positive, senders 1-256");
        }
        retrySchedule = List.copyOf(retrySchedule);
        allowPrivateNetworks = List.copyOf(allowPrivateNetworks);
    }

    /** Attempts a delivery gets in all: the first and one per pause. */
    int maxAttempts() {
        return retrySchedule.size() + 1;
    }

    /** The pause after attempt number {@code attempts} (1 is the first) failed. */
    Duration pauseAfter(int attempts) {
        return retrySchedule.get(Math.min(attempts, retrySchedule.size()) - 1);
    }
}
