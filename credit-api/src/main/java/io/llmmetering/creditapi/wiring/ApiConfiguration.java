package io.llmmetering.creditapi.wiring;

import io.llmmetering.creditapi.config.CreditApiProperties;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.AccountGauges;
import io.llmmetering.creditapi.accounts.AccountQueries;
import io.llmmetering.creditapi.accounts.AccountSettings;
import io.llmmetering.creditapi.accounts.CreditLedger;
import io.llmmetering.creditapi.analytics.UsageAnalytics;
import io.llmmetering.creditapi.exports.CsvExports;
import io.llmmetering.creditapi.webhooks.AlertEvents;
import io.llmmetering.creditapi.webhooks.WebhookOutbox;
import io.llmmetering.creditapi.balances.BalanceCache;
import io.llmmetering.creditapi.balances.BalanceCacheRetries;
import io.llmmetering.creditapi.balances.BalanceReader;
import io.llmmetering.creditapi.coupons.CouponAdmin;
import io.llmmetering.creditapi.controlplane.ControlPlanePublisher;
import io.llmmetering.creditapi.controlplane.PriceBookFeed;
import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.creditapi.deadletters.DeadLetterArchive;
import io.llmmetering.creditapi.deadletters.DeadLetterCopier;
import io.llmmetering.creditapi.deadletters.DeadLetterReplay;
import io.llmmetering.creditapi.holds.ExpiredHolds;
import io.llmmetering.creditapi.holds.SpendHolds;
import io.llmmetering.creditapi.spending.OneTransactionPerRequest;
import io.llmmetering.creditapi.spending.SpendBatcher;
import io.llmmetering.creditapi.spending.Spending;
import io.llmmetering.creditapi.ingestkeys.IngestKeyAdmin;
import io.llmmetering.creditapi.openrouter.FernetCipher;
import io.llmmetering.creditapi.openrouter.OpenRouterAccounts;
import io.llmmetering.creditapi.openrouter.OpenRouterClient;
import io.llmmetering.creditapi.openrouter.Reconciliation;
import io.llmmetering.creditapi.web.BodySizeLimitFilter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.List;

/** The REST API's collaborators: plain classes, wired here. */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

    private static final String OPENROUTER_CONFIGURED = "!'${credit.encryption-key:}'.isBlank()";

    /** Requests and answers in snake_case (the seed's field names); money in plain decimal notation, never 1E-9. */
    @Bean
    JsonMapperBuilderCustomizer apiJson() {
        return builder -> builder.propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    }

    /** The OpenAPI document's title; security schemes and errors are {@link io.llmmetering.creditapi.web.ApiDocument}'s. */
    @Bean
    OpenAPI openApi() {
        return new OpenAPI()
                .info(new Info().title("LLM metering credit API").version("v1")
                        .description("Balances, ledger, holds, usage, coupons and administration of the prepaid-credit system. "
                                + "Errors are application/problem+json."));
    }

    @Bean
    io.llmmetering.creditapi.web.ApiDocument apiDocument() {
        return new io.llmmetering.creditapi.web.ApiDocument();
    }

    /** The usage page lives at /usage/index.html; /usage and /usage/ lead there. */
    @Bean
    WebMvcConfigurer usagePage() {
        return new WebMvcConfigurer() {
            @Override
            public void addViewControllers(ViewControllerRegistry registry) {
                registry.addRedirectViewController("/usage", "/usage/index.html");
                registry.addRedirectViewController("/usage/", "/usage/index.html");
            }
        };
    }

    @Bean
    FilterRegistrationBean<BodySizeLimitFilter> bodySizeLimit() {
        FilterRegistrationBean<BodySizeLimitFilter> registration = new FilterRegistrationBean<>(new BodySizeLimitFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    @Bean
    BalanceCacheRetries balanceCacheRetries(BalanceCache cache) {
        return new BalanceCacheRetries(cache);
    }

    @Bean
    CreditLedger creditLedger(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, BalanceCacheRetries cache,
                              MeterRegistry registry) {
        return new CreditLedger(dataSource, cache, registry);
    }

    @Bean
    AccountQueries accountQueries(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, BalanceReader balances) {
        return new AccountQueries(dataSource, balances);
    }

    @Bean
    AccountSettings accountSettings(CreditApiApplication.SchemaMigration migrated, DataSource dataSource) {
        return new AccountSettings(dataSource);
    }

    @Bean
    UsageAnalytics usageAnalytics(CreditApiApplication.SchemaMigration migrated, DataSource dataSource) {
        return new UsageAnalytics(dataSource);
    }

    @Bean
    CsvExports csvExports(DataSource dataSource, UsageAnalytics usage) {
        return new CsvExports(dataSource, usage);
    }

    @Bean
    SpendHolds spendHolds(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, MeterRegistry registry) {
        return new SpendHolds(dataSource, registry);
    }

    /** The batches' own connections (a writer, a reader, one to spare), set up for key lookups only. */
    @Bean(destroyMethod = "close")
    ConnectionPool spendPool(CreditApiApplication.SchemaMigration migrated, DataSourceProperties dataSource) {
        return ConnectionPool.of(dataSource, "spend", 3, SpendBatcher.KEY_LOOKUPS_ONLY);
    }

    @Bean
    Spending spending(CreditApiProperties properties, @Qualifier("spendPool") ConnectionPool pool, SpendHolds holds, CreditLedger ledger,
                      BalanceCacheRetries cache, MeterRegistry registry) {
        CreditApiProperties.Spend spend = properties.spend();
        return spend.batched() ? new SpendBatcher(pool.dataSource(), cache, spend.batchSizeMax(), registry)
                : new OneTransactionPerRequest(holds, ledger);
    }

    @Bean
    AccountGauges accountGauges(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, CreditApiProperties properties,
                                MeterRegistry registry) {
        CreditApiProperties.Applier applier = properties.applier();
        return new AccountGauges(dataSource, applier.lowBalanceThresholds(), Credits.parse(applier.defaultLowBalance()), registry);
    }

    @Bean
    io.llmmetering.creditapi.web.AnswerSchemas answerSchemas() {
        return new io.llmmetering.creditapi.web.AnswerSchemas();
    }

    @Bean
    Background maintenanceJobs(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, AccountGauges gauges,
                               BalanceCacheRetries cacheRetries, MeterRegistry registry) {
        ExpiredHolds holds = new ExpiredHolds(dataSource, registry);
        // releasing is safe on every instance at once: each release is conditional and locked
        return new Background("credit-api-maintenance", List.of(), List.of(
                new Background.Job("hold expiry", Duration.ofSeconds(5), Duration.ofSeconds(5), holds::expireAllDue),
                new Background.Job("account gauges", Duration.ZERO, Duration.ofMinutes(1), gauges::refresh),
                new Background.Job("balance cache retries", Duration.ofSeconds(1), Duration.ofSeconds(1), cacheRetries::retry)));
    }

    /** An appliers-only process answers its health and metrics, and nothing of the API. */
    @Bean
    @ConditionalOnExpression("!(" + RoleConditions.SERVES_API + ")")
    FilterRegistrationBean<ApplierOnlyFilter> applierOnlyFilter() {
        FilterRegistrationBean<ApplierOnlyFilter> registration = new FilterRegistrationBean<>(new ApplierOnlyFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    /** Present only with an ENCRYPTION_KEY: keys are never stored any other way. */
    @Bean
    @ConditionalOnExpression(OPENROUTER_CONFIGURED)
    OpenRouterAccounts openRouterAccounts(CreditApiApplication.SchemaMigration migrated, DataSource dataSource, CreditApiProperties properties) {
        return new OpenRouterAccounts(dataSource, new FernetCipher(properties.encryptionKey()));
    }

    @Bean
    @ConditionalOnExpression(OPENROUTER_CONFIGURED)
    Reconciliation reconciliation(DataSource dataSource, OpenRouterAccounts accounts, CreditApiProperties properties, PriceBookFeed prices,
                                  ControlPlanePublisher publisher) {
        WebhookOutbox webhooks = new WebhookOutbox(dataSource);
        return new Reconciliation(dataSource, accounts, new OpenRouterClient(properties.openrouterApiBaseUrl()), prices::priceBook, alert -> {
            try {
                webhooks.enqueue(List.of(AlertEvents.message(alert)));
            } finally {
                publisher.publish(alert); // the Kafka alert goes out even when the webhook could not be queued
            }
        });
    }

    @Bean
    CouponAdmin couponAdmin(CreditApiApplication.SchemaMigration migrated, DataSource dataSource) {
        return new CouponAdmin(dataSource);
    }

    @Bean
    IngestKeyAdmin ingestKeyAdmin(CreditApiApplication.SchemaMigration migrated, DataSource dataSource) {
        return new IngestKeyAdmin(dataSource);
    }

    @Bean(destroyMethod = "close")
    ControlPlanePublisher controlPlanePublisher(KafkaClients kafka) {
        return new ControlPlanePublisher(kafka);
    }

    @Bean
    PriceBookFeed priceBookFeed(KafkaClients kafka) {
        return new PriceBookFeed(kafka, PriceBookReader.defaultPriceBook());
    }

    /** Runs the price feed on its own thread for the life of the application, where the API is served. */
    @Bean
    @ConditionalOnExpression(RoleConditions.SERVES_API)
    Background priceBookFeedThread(PriceBookFeed feed) {
        return new Background("price-book-feed", List.of(new Background.Loop("price-book-feed", feed, feed)), List.of());
    }

    @Bean
    DeadLetterArchive deadLetterArchive(CreditApiApplication.SchemaMigration migrated, DataSource dataSource) {
        return new DeadLetterArchive(dataSource);
    }

    @Bean(destroyMethod = "close")
    DeadLetterReplay deadLetterReplay(DataSource dataSource, KafkaClients kafka) {
        return new DeadLetterReplay(dataSource, kafka);
    }

    /** Copies both dead-letter topics into the archive operators list and replay from: a writer, with the appliers. */
    @Bean
    @ConditionalOnExpression(RoleConditions.APPLIES_DEBITS)
    Background deadLetterCopierThread(DeadLetterArchive archive, KafkaClients kafka, MeterRegistry registry) {
        DeadLetterCopier copier = new DeadLetterCopier(kafka, archive, registry);
        return new Background("dead-letter-copier", List.of(new Background.Loop("dead-letter-copier", copier, copier)), List.of());
    }
}
