package io.llmmetering.local;

import io.llmmetering.creditapi.auth.TokenIssuer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code java -jar local/target/metering-local.jar prices import FILE [--apply]}: imports a whole price book
 * (LiteLLM's {@code model_prices_and_context_window.json}, or ours) into the running local system through
 * {@code POST /api/v1/admin/pricing/import}, signed as an admin with the local secret. Without {@code --apply} it
 * only prints what would change.
 */
@Command(name = "prices", description = "Work with the running local system's price book.")
final class PricesCommand implements Callable<Integer> {

    private final Map<String, String> environment;
    @Spec
    private CommandSpec spec;

    PricesCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    /** No subcommand: say which there are. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    @Command(name = "import", sortOptions = false, description = "Import a whole price book; without --apply only print what would change.")
    int importBook(
            @Parameters(paramLabel = "FILE", description = "LiteLLM's model_prices_and_context_window.json, or a price book in this project's format")
            Path file,
            @Option(names = "--apply", description = "publish the added and changed prices (default: only print what would change)")
            boolean apply,
            @Option(names = "--api", paramLabel = "URL", defaultValue = "http://127.0.0.1:8084",
                    description = "the running credit-api (default ${DEFAULT-VALUE})")
            String api,
            @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
                    description = "the local system's data directory, where its signing secret lives (default ./${DEFAULT-VALUE})")
            Path dataDir) throws InterruptedException {
        if (!Files.isReadable(file)) {
            throw new ParameterException(spec.subcommands().get("import"), "cannot read " + file);
        }
        try {
            String admin = new TokenIssuer(LocalSecret.jwtSecret(dataDir.toAbsolutePath(), environment)).admin("prices-import", Duration.ofMinutes(5));
            HttpResponse<String> answer = importFile(api, admin, file, apply);
            spec.commandLine().getOut().println(answer.body());
            if (answer.statusCode() != 200) {
                spec.commandLine().getErr().println("credit-api answered " + answer.statusCode());
                return 1;
            }
            return 0;
        } catch (IOException e) {
            spec.commandLine().getErr().println("cannot import " + file + ": " + e.getMessage());
            return 1;
        }
    }

    /** Posts {@code file} to the import endpoint of the credit-api at {@code api}. */
    static HttpResponse<String> importFile(String api, String adminToken, Path file, boolean apply) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/api/v1/admin/pricing/import?dry_run=" + !apply))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(2)).POST(HttpRequest.BodyPublishers.ofFile(file)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }
}
