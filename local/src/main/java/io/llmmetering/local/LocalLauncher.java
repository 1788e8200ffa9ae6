package io.llmmetering.local;

import io.llmmetering.schemas.client.KafkaClients;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.creditapi.auth.TokenIssuer;
import io.llmmetering.creditapi.wiring.CreditApiApplication;
import io.llmmetering.kafka.embedded.EmbeddedKafkaBroker;
import io.llmmetering.meteringstreams.service.MeteringStreamsApplication;
import io.llmmetering.meteringstreams.service.MeteringStreamsProperties;
import io.llmmetering.meteringstreams.service.StreamsRuntime;
import io.llmmetering.usageingest.UsageIngestApplication;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code java -jar local/target/metering-local.jar}: the whole system in one JVM on embedded defaults. A real
 * KRaft broker with its log on disk, the exactly-once topology, credit-api (the ledger) on 8084 and
 * usage-ingest on 8085, against the local PostgreSQL and Redis. Prints where everything is and an ingest key,
 * and runs until Ctrl-C, then shuts down in reverse order. A command-line tool, so it talks on stdout.
 */
public final class LocalLauncher {

    private static final Logger log = LoggerFactory.getLogger(LocalLauncher.class);
    private static final String INGEST_EXCLUDED_AUTO_CONFIGURATION = String.join(",",
            "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
            "org.springframework.boot.security.oauth2.server.resource.autoconfigure.servlet.OAuth2ResourceServerAutoConfiguration");
    private static final Map<String, String> SEED_VARIABLES = Map.of("CREDIT_SYSTEM_ENABLED", "credit.system-enabled",
            "CREDIT_CACHE_TTL", "credit.cache-ttl", "OPENROUTER_API_BASE_URL", "credit.openrouter-api-base-url");
    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private ConfigurableApplicationContext creditApi;
    private ConfigurableApplicationContext ingest;

    public static void main(String[] args) {
        System.exit(LocalCommand.commandLine(System.getenv()).execute(args));
    }

    /** Starts everything; returns the ingest key it created. */
    public String start(LocalSettings settings) throws Exception {
        long started = System.nanoTime();
        URI db = URI.create(settings.databaseUrl().substring("jdbc:".length()));
        int dbPort = db.getPort() < 0 ? 5432 : db.getPort();
        if (EmbeddedServers.reachable(db.getHost(), dbPort)) {
            say("PostgreSQL: local server " + settings.databaseUrl());
        } else if (EmbeddedServers.isLocal(db.getHost())) {
            EmbeddedServers.Started postgres = EmbeddedServers.postgres(db, settings.dataDir());
            running.push(postgres.stop());
            say("PostgreSQL: none on " + db.getHost() + ":" + dbPort + ", started " + postgres.description());
        } else {
            throw new IllegalStateException("PostgreSQL is not reachable at " + db.getHost() + ":" + dbPort + ": check --db-url");
        }
        URI redis = URI.create(settings.redisUrl());
        int redisPort = redis.getPort() < 0 ? 6379 : redis.getPort();
        if (EmbeddedServers.reachable(redis.getHost(), redisPort)) {
            say("Redis: local server " + settings.redisUrl());
        } else if (EmbeddedServers.isLocal(redis.getHost())) {
            EmbeddedServers.Started embedded = EmbeddedServers.redis(redis);
            running.push(embedded.stop());
            say("Redis: none on " + redis.getHost() + ":" + redisPort + ", started " + embedded.description());
        } else {
            say("Redis: not reachable at " + settings.redisUrl() + " - balances are served from PostgreSQL until it is");
        }

        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().logDir(settings.dataDir().resolve("kafka"))
                .port(settings.kafkaPort()).controllerPort(settings.controllerPort()).build().start();
        running.push(broker);
        say("Kafka: in-JVM KRaft broker " + settings.bootstrapServers() + ", log in " + broker.logDir());

        PriceBook book = PriceBookReader.defaultPriceBook();
        // the service's own configuration and defaults, with only what the launcher decides set here
        MeteringStreamsProperties streamsProperties = MeteringStreamsProperties.bind(Map.of(
                "metering.streams.state-dir", settings.dataDir().resolve("streams").toString()));
        KafkaClients kafka = KafkaClients.plaintext(settings.bootstrapServers());
        MeteringStreamsApplication.provisionTopics(streamsProperties, kafka, book);

        String jwtSecret = LocalSecret.jwtSecret(settings.dataDir(), System.getenv());
        Map<String, Object> creditSettings = new HashMap<>(Map.of(
                "spring.kafka.bootstrap-servers", settings.bootstrapServers(), "credit.redis-url", settings.redisUrl(),
                "credit.auth.jwt-secret", jwtSecret, "credit.encryption-key", LocalSecret.encryptionKey(settings.dataDir(), System.getenv())));
        // the seed's variables, which credit-api's own application.yml would map (the launcher does not load it)
        SEED_VARIABLES.forEach((variable, property) -> {
            String value = System.getenv(variable);
            if (value != null && !value.isBlank()) {
                creditSettings.put(property, value);
            }
        });
        creditApi = spring(CreditApiApplication.class, settings.apiPort(), "credit-api", creditSettings, settings);
        running.push(creditApi::close);

        StreamsRuntime streams = MeteringStreamsApplication.runtime(streamsProperties, MeteringStreamsProperties.EventRules.bind(Map.of()), kafka, book);
        streams.start();
        running.push(streams);

        ingest = spring(UsageIngestApplication.class, settings.ingestPort(), "usage-ingest",
                Map.of("spring.kafka.bootstrap-servers", settings.bootstrapServers(),
                        // credit-api's Spring Security is on this shared class path; usage-ingest checks ingest keys itself
                        "spring.autoconfigure.exclude", INGEST_EXCLUDED_AUTO_CONFIGURATION), settings);
        running.push(ingest::close);

        streams.awaitRunning(Duration.ofSeconds(60));
        String key = new LocalIngestKey(settings.databaseUrl(), settings.databaseUser()).create("local-demo", "local");
        if (settings.priceBook().isPresent()) {
            java.net.http.HttpResponse<String> imported = PricesCommand.importFile("http://127.0.0.1:" + settings.apiPort(),
                    new TokenIssuer(jwtSecret).admin("prices-import", Duration.ofMinutes(5)), settings.priceBook().get(), true);
            if (imported.statusCode() != 200) {
                throw new IllegalStateException("price book " + settings.priceBook().get() + " not imported: " + imported.body());
            }
            java.util.regex.Matcher published = java.util.regex.Pattern.compile("\"published\":(\\d+)").matcher(imported.body());
            say("prices: imported " + settings.priceBook().get() + ", " + (published.find() ? published.group(1) : "?") + " models published");
        }
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        say("ready in " + seconds + " s");
        say("  usage-ingest  http://127.0.0.1:" + settings.ingestPort() + "/api/v1/usage/events   (also /api/v1/events, /api/v1/ingest/litellm)");
        TokenIssuer tokens = new TokenIssuer(jwtSecret);
        String api = "http://127.0.0.1:" + settings.apiPort();
        say("  credit-api    " + api + "/api/v1/credits/balance   (status: " + api + "/api/v1/system/status)");
        say("  swagger ui    " + api + "/swagger-ui.html   (OpenAPI: " + api + "/v3/api-docs)");
        say("  usage page    " + api + "/usage   (sign in with a token below)");
        say("  metrics       " + metricsUrl(creditApi) + ", " + metricsUrl(ingest) + "   (loopback management ports)");
        say("  ingest key    " + key);
        say("  admin token   " + tokens.admin("admin@example.com", Duration.ofHours(8)));
        say("  user token    " + tokens.user("test@example.com", Duration.ofHours(8)) + "   (test@example.com)");
        say("                more: java -jar local/target/metering-local.jar token --user ID [--admin]");
        say("  try: curl -X POST http://127.0.0.1:" + settings.ingestPort() + "/api/v1/usage/events -H 'Authorization: Bearer " + key
                + "' -H 'Content-Type: application/json' -d '{\"event_id\":\"req-1\",\"user_id\":\"test@example.com\",\"provider\":\"openai\","
                + "\"model\":\"gpt-4o\",\"input_tokens\":1000,\"output_tokens\":0}'");
        say("       curl " + api + "/api/v1/credits/balance -H 'Authorization: Bearer <user token>'");
        say("       psql -h 127.0.0.1 -U postgres -d metering -c \"SELECT user_id, balance FROM user_credits\"");
        say(settings.demo() ? "demo: " + settings.demoEvents() + " events" : "Ctrl-C stops everything.");
        return key;
    }

    private static ConfigurableApplicationContext spring(Class<?> application, int port, String name, Map<String, Object> extra,
                                                         LocalSettings settings) {
        Map<String, Object> properties = new HashMap<>(extra);
        // both services ship an application.yml; in one jar only one would win, so each gets its settings here
        properties.put("spring.config.name", "local-" + name);
        properties.put("spring.application.name", name);
        properties.put("spring.main.banner-mode", "off");
        properties.put("server.port", port);
        properties.put("server.address", "127.0.0.1");
        properties.put("server.shutdown", "graceful");
        // as usage-ingest's application.yml: a batch refused as too large is read to its end, so its sender gets the 413
        properties.put("server.tomcat.max-swallow-size", "8MB");
        properties.put("spring.datasource.url", settings.databaseUrl());
        properties.put("spring.datasource.username", settings.databaseUser());
        // as the services' application.yml: actuators on a loopback port of their own, UP/DOWN on the service's port
        properties.put("management.server.port", 0);
        properties.put("management.server.address", "127.0.0.1");
        properties.put("management.endpoints.web.exposure.include", "health,info,prometheus,metrics");
        properties.put("management.endpoint.health.show-details", "always");
        properties.put("management.endpoint.health.group.public.include", "*");
        properties.put("management.endpoint.health.group.public.show-details", "never");
        properties.put("management.endpoint.health.group.public.show-components", "never");
        properties.put("management.endpoint.health.group.public.additional-path", "server:/healthz");
        properties.put("management.metrics.distribution.percentiles-histogram.http.server.requests", true);
        // no shutdown hook of Spring's own: the launcher's hook closes everything in reverse order of start
        return new SpringApplicationBuilder(application).web(WebApplicationType.SERVLET).registerShutdownHook(false)
                .properties(properties).run();
    }

    /** The Prometheus page of the running credit-api: its management port is chosen at start. */
    public String creditApiMetricsUrl() {
        return metricsUrl(creditApi());
    }

    public String ingestMetricsUrl() {
        if (ingest == null) {
            throw new IllegalStateException("usage-ingest has not started");
        }
        return metricsUrl(ingest);
    }

    private static String metricsUrl(ConfigurableApplicationContext service) {
        return "http://127.0.0.1:" + service.getEnvironment().getRequiredProperty("local.management.port") + "/actuator/prometheus";
    }

    /** The running credit-api, for a benchmark in this JVM that reads its meters. */
    public ConfigurableApplicationContext creditApi() {
        if (creditApi == null) {
            throw new IllegalStateException("credit-api has not started");
        }
        return creditApi;
    }

    public void stop() {
        if (!running.isEmpty()) {
            say("stopping");
        }
        while (!running.isEmpty()) {
            try {
                running.pop().close();
            } catch (Exception e) {
                log.warn("stop failed error={}", e.toString());
            }
        }
        say("stopped");
    }

    private static void say(String line) {
        System.out.println("[local] " + line);
    }
}
