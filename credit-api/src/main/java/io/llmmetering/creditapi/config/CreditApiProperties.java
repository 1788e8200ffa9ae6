package io.llmmetering.creditapi.config;

import io.llmmetering.creditapi.auth.Roles;
import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.applier.ApplierSettings;
import io.llmmetering.creditapi.applier.PartitionProgress;
import io.llmmetering.creditapi.applier.SpikeSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationUnit;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of credit-api ({@code credit.*}); the seed's environment variables map onto them in application.yml
 * ({@code CREDIT_SYSTEM_ENABLED}, {@code CREDIT_CACHE_TTL}), as do {@code KAFKA_BOOTSTRAP_SERVERS} and
 * {@code REDIS_URL}. Defaults run the local system.
 *
 * @param systemEnabled  when false the ledger workers do not start (the seed's kill switch)
 * @param cacheTtl       TTL of credits:balance:{user_id}, in seconds when given as a bare number
 * @param migrateOnStart apply pending migrations (creating the database if missing) before anything else
 * @param auth           how bearer tokens are checked
 * @param encryptionKey  {@code ENCRYPTION_KEY}: the Fernet key OpenRouter API keys are stored under (the seed's);
 *                       without it the OpenRouter account endpoints answer 503
 * @param openrouterApiBaseUrl {@code OPENROUTER_API_BASE_URL}, read by reconciliation
 * @param spend          how holds, voids and deducts reach PostgreSQL
 * @param usageRetentionMonths months of usage_events kept before the current one (whole partitions dropped);
 *                             0 keeps everything
 */
@ConfigurationProperties("credit")
public record CreditApiProperties(
        @DefaultValue("true") boolean systemEnabled,
        @DefaultValue("both") Role role,
        @DefaultValue("redis://127.0.0.1:6379/0") String redisUrl,
        @DefaultValue("60") @DurationUnit(ChronoUnit.SECONDS) Duration cacheTtl,
        @DefaultValue("true") boolean migrateOnStart,
        @DefaultValue("0") int usageRetentionMonths,
        @DefaultValue Applier applier,
        @DefaultValue Spend spend,
        @DefaultValue Rollups rollups,
        @DefaultValue Auth auth,
        @DefaultValue("") String encryptionKey,
        @DefaultValue("https://openrouter.ai/api/v1") String openrouterApiBaseUrl) {

    /**
     * What this process runs ({@code credit.role}, {@code CREDIT_ROLE}), so the API and the ledger writers scale
     * apart: {@code api} serves the REST API and opens no Kafka consumer of debits; {@code applier} runs the debit
     * appliers, rollups and partition upkeep and serves only health and metrics; {@code both} (the default, and
     * the local launcher's) runs everything in one process.
     */
    public enum Role {
        API, APPLIER, BOTH;

        public boolean servesApi() {
            return this != APPLIER;
        }

        public boolean appliesDebits() {
            return this != API;
        }
    }

    /** The encryption key never prints; the rest does, as a record would. */
    @Override
    public String toString() {
        return "CreditApiProperties[systemEnabled=" + systemEnabled + ", role=" + role + ", redisUrl="
                + redisUrl.replaceAll("//[^@/]*@", "//(credentials)@") + ", cacheTtl=" + cacheTtl + ", migrateOnStart=" + migrateOnStart
                + ", usageRetentionMonths=" + usageRetentionMonths + ", applier=" + applier + ", spend=" + spend + ", rollups=" + rollups + ", auth=" + auth
                + ", encryptionKey=" + (encryptionKey.isBlank() ? "" : "(set)") + ", openrouterApiBaseUrl=" + openrouterApiBaseUrl + "]";
    }

    public CreditApiProperties {
        if (cacheTtl.isNegative() || cacheTtl.isZero() || cacheTtl.toSeconds() > 86_400) {
            throw new IllegalArgumentException("credit.cache-ttl (CREDIT_CACHE_TTL) must be 1-86400 seconds, was " + cacheTtl);
        }
        if (!redisUrl.startsWith("redis://") && !redisUrl.startsWith("rediss://")) {
            throw new IllegalArgumentException("credit.redis-url must be a redis:// or rediss:// URI");
        }
    }

    /**
     * @param batchSizeMax     debits per PostgreSQL transaction at most
     * @param concurrency      appliers per process, each a consumer of the group with its own partitions and
     *                         transactions: two keep PostgreSQL busy while one waits on a commit (bench e2e,
     *                         3,000,000 events: 12,275 unique events/s with one, 16,520 with two)
     * @param linger           how long a partial batch waits for more
     * @param lowBalance       per tier, the balance below which a low_balance alert fires
     * @param spikeWindow      spend spikes: the sliding window compared against the baseline (whole minutes)
     * @param spikeBaseline    the history the baseline is averaged over
     * @param spikeMultiplierPercent spend above this percentage of the baseline per window is a spike (500 = 5x)
     * @param spikeMinimumSpend below this in a window, nothing is a spike
     * @param spikeAbsoluteThreshold at or above this in a window is a spike whatever the baseline
     * @param spikeUsersTracked users whose spend history each applier keeps in memory (about 0.5 KB each)
     */
    public record Applier(
            @DefaultValue(ApplierSettings.DEFAULT_CONSUMER_GROUP) String consumerGroup,
            @DefaultValue(ApplierSettings.DEFAULT_BATCH_SIZE_MAX) int batchSizeMax,
            @DefaultValue("2") int concurrency,
            @DefaultValue(ApplierSettings.DEFAULT_LINGER) Duration linger,
            @DefaultValue(ApplierSettings.DEFAULT_RETRY_BACKOFF) Duration retryBackoff,
            @DefaultValue Map<String, String> lowBalance,
            @DefaultValue(ApplierSettings.DEFAULT_LOW_BALANCE) String defaultLowBalance,
            @DefaultValue(SpikeSettings.DEFAULT_WINDOW) Duration spikeWindow,
            @DefaultValue(SpikeSettings.DEFAULT_BASELINE) Duration spikeBaseline,
            @DefaultValue(SpikeSettings.DEFAULT_MULTIPLIER_PERCENT) int spikeMultiplierPercent,
            @DefaultValue(SpikeSettings.DEFAULT_MINIMUM_SPEND) String spikeMinimumSpend,
            @DefaultValue(SpikeSettings.DEFAULT_ABSOLUTE_THRESHOLD) String spikeAbsoluteThreshold,
            @DefaultValue(SpikeSettings.DEFAULT_USERS_TRACKED) int spikeUsersTracked,
            @DefaultValue(PartitionProgress.DEFAULT_STALL_AFTER) Duration stallAfter) {

        /** What each debit applier runs with. */
        public ApplierSettings toSettings() {
            return new ApplierSettings(consumerGroup, batchSizeMax, linger, retryBackoff, lowBalanceThresholds(),
                    Credits.parse(defaultLowBalance), new SpikeSettings(spikeWindow, spikeBaseline, spikeMultiplierPercent,
                    Credits.parse(spikeMinimumSpend), Credits.parse(spikeAbsoluteThreshold), spikeUsersTracked));
        }

        public Map<String, Credits> lowBalanceThresholds() {
            Map<String, Credits> thresholds = new LinkedHashMap<>(ApplierSettings.DEFAULT_LOW_BALANCE_THRESHOLDS);
            lowBalance.forEach((tier, amount) -> thresholds.put(tier, Credits.parse(amount)));
            return thresholds;
        }
    }

    /**
     * @param batched      {@code CREDIT_SPEND_BATCHED}: holds, voids and deducts that arrive together share one
     *                     transaction (false: one transaction each, the path the batched one is measured against)
     * @param batchSizeMax requests per transaction at most
     */
    public record Spend(@DefaultValue("true") boolean batched, @DefaultValue("1000") int batchSizeMax) {

        public Spend {
            if (batchSizeMax < 1 || batchSizeMax > 10_000) {
                throw new IllegalArgumentException("credit.spend.batch-size-max must be 1-10000, was " + batchSizeMax);
            }
        }
    }

    /**
     * The hourly usage rollups computed from usage_events.
     *
     * @param interval    how often settled hours with new events are rolled up
     * @param settle      how long after its end an hour is first rolled up
     * @param hoursPerRun hours rolled up per run at most
     */
    public record Rollups(
            @DefaultValue("1m") Duration interval,
            @DefaultValue("2m") Duration settle,
            @DefaultValue("24") int hoursPerRun) {

        public Rollups {
            if (interval.isNegative() || interval.isZero() || settle.isNegative() || hoursPerRun < 1) {
                throw new IllegalArgumentException("credit.rollups: interval must be positive, settle not negative, hours-per-run at least 1");
            }
        }
    }

    /**
     * Either an HMAC secret (HS256, at least 32 bytes; what the local system and small deployments use) or an
     * issuer / JWK set of an identity provider. Tokens carry the user id in {@code sub} and roles in {@code roles}.
     *
     * @param jwtSecret  {@code JWT_SECRET}
     * @param issuerUri  {@code JWT_ISSUER_URI}: OpenID issuer, whose discovery document names the JWK set
     * @param jwkSetUri  {@code JWT_JWK_SET_URI}: the JWK set directly
     * @param jwtIssuer  {@code JWT_ISSUER}: the {@code iss} an HS256 token must carry (the launcher's token command
     *                   and {@code TokenIssuer} write {@code llm-metering}); a secret shared with another system
     *                   does not make its tokens ours
     * @param jwtAudience {@code JWT_AUDIENCE}: an {@code aud} every token must name, in every mode (the launcher's
     *                   token command and {@code TokenIssuer} write {@code llm-metering-api}); a token an identity
     *                   provider issued for another application is not one for this API
     */
    public record Auth(
            @DefaultValue("") String jwtSecret,
            @DefaultValue("") String issuerUri,
            @DefaultValue("") String jwkSetUri,
            @DefaultValue("llm-metering") String jwtIssuer,
            @DefaultValue("llm-metering-api") String jwtAudience,
            @DefaultValue Roles.RoleClaims roles) {

        public Auth {
            if (jwtSecret.isBlank() && issuerUri.isBlank() && jwkSetUri.isBlank()) {
                throw new IllegalArgumentException("credit.auth: set JWT_SECRET (at least 32 bytes) or JWT_ISSUER_URI or JWT_JWK_SET_URI");
            }
            if (!jwtSecret.isBlank() && !(issuerUri.isBlank() && jwkSetUri.isBlank())) {
                // which one would win is not something an operator should have to guess
                throw new IllegalArgumentException("credit.auth: set JWT_SECRET or JWT_ISSUER_URI / JWT_JWK_SET_URI, not both");
            }
            if (!jwtSecret.isBlank() && (jwtIssuer == null || jwtIssuer.isBlank())) {
                throw new IllegalArgumentException("credit.auth.jwt-issuer (JWT_ISSUER) must name the issuer of HS256 tokens");
            }
            if (jwtAudience == null || jwtAudience.isBlank()) {
                throw new IllegalArgumentException("credit.auth.jwt-audience (JWT_AUDIENCE) must name the audience tokens are issued for");
            }
            if (!jwtSecret.isBlank() && jwtSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
                throw new IllegalArgumentException("credit.auth.jwt-secret (JWT_SECRET) must be at least 32 bytes for HS256");
            }
        }

        /** The secret never prints: configuration records end up in logs and error reports. */
        @Override
        public String toString() {
            return "Auth[jwtSecret=" + (jwtSecret.isBlank() ? "" : "(set)") + ", issuerUri=" + issuerUri + ", jwkSetUri=" + jwkSetUri
                    + ", jwtIssuer=" + jwtIssuer + ", jwtAudience=" + jwtAudience + "]";
        }
    }
}
