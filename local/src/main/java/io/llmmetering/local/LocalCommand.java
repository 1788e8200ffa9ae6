package io.llmmetering.local;

import io.llmmetering.core.pricing.PriceBookReader;
import io.llmmetering.migrations.EnvironmentDefaults;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code java -jar local/target/metering-local.jar [options]}: runs the whole system until Ctrl-C, or with
 * {@code --demo} drives traffic through it and exits with its verdict. Subcommands {@code token} and
 * {@code prices import}. A command-line tool, so it talks on stdout.
 */
@Command(name = "metering-local", sortOptions = false,
        description = "The whole system in one JVM on embedded defaults: a KRaft broker, the exactly-once topology, credit-api "
                + "and usage-ingest, against the local PostgreSQL and Redis (started embedded when none answers). Runs until Ctrl-C.")
final class LocalCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(LocalCommand.class);
    /** Which environment variable gives each option its default, before the option's own. */
    private static final Map<String, String> VARIABLES = Map.of("--db-url", "METERING_DB_URL", "--db-user", "METERING_DB_USER",
            "--redis-url", "REDIS_URL");
    private static final int MOST_DEMO_EVENTS = 10_000_000;

    @Spec
    private CommandLine.Model.CommandSpec spec;
    @Option(names = {"-h", "--help"}, usageHelp = true, scope = CommandLine.ScopeType.INHERIT, description = "show this help and exit")
    private boolean help;
    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
            description = "where Kafka's log and the topology's state live (default ./${DEFAULT-VALUE})")
    private Path dataDir;
    @Option(names = "--kafka-port", paramLabel = "N", defaultValue = "9092", converter = PortNumber.class,
            description = "Kafka client port (default ${DEFAULT-VALUE}; the controller uses N+1)")
    private int kafkaPort;
    @Option(names = "--api-port", paramLabel = "N", defaultValue = "8084", converter = PortNumber.class,
            description = "credit-api port (default ${DEFAULT-VALUE})")
    private int apiPort;
    @Option(names = "--ingest-port", paramLabel = "N", defaultValue = "8085", converter = PortNumber.class,
            description = "usage-ingest port (default ${DEFAULT-VALUE})")
    private int ingestPort;
    @Option(names = "--db-url", paramLabel = "URL", defaultValue = "jdbc:postgresql://127.0.0.1:5432/metering",
            description = "PostgreSQL JDBC URL (default $METERING_DB_URL or ${DEFAULT-VALUE})")
    private String databaseUrl;
    @Option(names = "--db-user", paramLabel = "USER", defaultValue = "postgres",
            description = "PostgreSQL user (default $METERING_DB_USER or ${DEFAULT-VALUE})")
    private String databaseUser;
    @Option(names = "--redis-url", paramLabel = "URL", defaultValue = "redis://127.0.0.1:6379/0",
            description = "Redis URI (default $REDIS_URL or ${DEFAULT-VALUE})")
    private String redisUrl;
    @Option(names = "--demo", description = "drive synthetic proxy traffic through the system, check the invariants, print "
            + "\"discrepancies: N\" and exit (non-zero when N > 0); drives the system already running on these ports if one answers, "
            + "else starts its own")
    private boolean demo;
    @Option(names = "--events", paramLabel = "N", defaultValue = "20000", description = "events the demo sends (default ${DEFAULT-VALUE})")
    private int demoEvents;
    @Option(names = "--prices", paramLabel = "FILE", description = "import a price book once the system is up (LiteLLM's "
            + "model_prices_and_context_window.json, or this project's format)")
    private Path priceBook;

    /** The launcher's command line with its subcommands, defaults from {@code environment}. */
    static CommandLine commandLine(Map<String, String> environment) {
        return new CommandLine(new LocalCommand())
                .addSubcommand(new TokenCommand(environment))
                .addSubcommand(new PricesCommand(environment))
                .setDefaultValueProvider(new EnvironmentDefaults(VARIABLES, environment))
                .setUsageHelpWidth(110);
    }

    /** What {@code args} ask the launcher to run on; a {@link ParameterException} says what is wrong with them. */
    static LocalSettings settings(String[] args, Map<String, String> environment) {
        CommandLine commandLine = commandLine(environment);
        commandLine.parseArgs(args);
        return commandLine.<LocalCommand>getCommand().settings();
    }

    private LocalSettings settings() {
        if (demoEvents < 1 || demoEvents > MOST_DEMO_EVENTS) {
            throw new ParameterException(spec.commandLine(), "--events must be 1-" + MOST_DEMO_EVENTS + ", was " + demoEvents);
        }
        return new LocalSettings(dataDir.toAbsolutePath(), kafkaPort, kafkaPort + 1, apiPort, ingestPort, databaseUrl, databaseUser,
                redisUrl, demo, demoEvents, Optional.ofNullable(priceBook).map(Path::toAbsolutePath));
    }

    @Override
    public Integer call() throws Exception {
        LocalSettings settings = settings();
        if (settings.demo() && runningSystemAnswers(settings)) {
            // the README's second terminal: drive the system the first one runs, with a key of its own
            say("a system answers on 127.0.0.1:" + settings.apiPort() + " and :" + settings.ingestPort() + ": driving it");
            return demo(settings, new LocalIngestKey(settings.databaseUrl(), settings.databaseUser()).create("local-demo", "local"));
        }
        Map<Integer, String> taken = PortOwners.taken(settings.ports());
        if (!taken.isEmpty()) {
            taken.values().forEach(reason -> System.err.println("[local] cannot start: " + reason));
            System.err.println("[local] stop that process, or choose other ports (--help lists the options)");
            return 1;
        }
        LocalLauncher launcher = new LocalLauncher();
        Runtime.getRuntime().addShutdownHook(new Thread(launcher::stop, "local-shutdown"));
        String key;
        try {
            key = launcher.start(settings);
        } catch (Exception e) {
            System.err.println("[local] start failed: " + rootMessage(e));
            log.debug("start failed", e);
            launcher.stop();
            return 1;
        }
        if (settings.demo()) {
            return demo(settings, key);
        }
        Thread.currentThread().join();
        return 0;
    }

    private static int demo(LocalSettings settings, String ingestKey) throws Exception {
        long discrepancies = new DemoTraffic(settings, ingestKey, PriceBookReader.defaultPriceBook()).run(settings.demoEvents());
        return discrepancies == 0 ? 0 : 1;
    }

    /** Both services answer their health check: a launcher (or a deployment) already runs on these ports. */
    private static boolean runningSystemAnswers(LocalSettings settings) {
        return healthy(settings.apiPort()) && healthy(settings.ingestPort());
    }

    private static boolean healthy(int port) {
        try {
            HttpResponse<Void> answer = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()
                    .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding());
            return answer.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = org.springframework.core.NestedExceptionUtils.getMostSpecificCause(failure);
        return root == failure ? String.valueOf(failure.getMessage()) : failure.getMessage() + " (" + root + ")";
    }

    private static void say(String line) {
        System.out.println("[local] " + line);
    }
}
