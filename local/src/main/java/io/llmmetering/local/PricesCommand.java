package io.llmmetering.local;

import io.llmmetering.creditapi.auth.TokenIssuer;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code java -jar local/target/metering-local.jar prices import FILE [--apply]}: imports a whole price book
 * (LiteLLM's {@code model_prices_and_context_window.json}, or ours) into the running local system through
 * {@code POST /api/v1/admin/pricing/import}, signed as an admin with the local secret. Without {@code --apply} it
 * only prints what would change.
 */
final class PricesCommand {

    static final String USAGE = """
            usage: java -jar local/target/metering-local.jar prices import FILE [--apply] [--api URL] [--data-dir DIR]
              FILE            LiteLLM's model_prices_and_context_window.json, or a price book in this project's format
              --apply         publish the added and changed prices (default: only print what would change)
              --api URL       the running credit-api (default http://127.0.0.1:8084)
              --data-dir DIR  the local system's data directory, where its signing secret lives (default ./data)
            """;

    private PricesCommand() {
    }

    /** Returns the exit code. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.print(USAGE);
            return 0;
        }
        Path file = null;
        boolean apply = false;
        String api = "http://127.0.0.1:8084";
        Path dataDir = Path.of("data");
        try {
            if (args.length < 2 || !args[0].equals("import")) {
                throw new IllegalArgumentException("expected: prices import FILE");
            }
            file = Path.of(args[1]);
            for (int i = 2; i < args.length; i++) {
                switch (args[i]) {
                    case "--help", "-h" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    case "--apply" -> apply = true;
                    case "--api" -> api = TokenCommand.value(args, ++i, "--api");
                    case "--data-dir" -> dataDir = Path.of(TokenCommand.value(args, ++i, "--data-dir"));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("cannot read " + file);
            }
            String admin = new TokenIssuer(LocalSecret.jwtSecret(dataDir.toAbsolutePath(), env)).admin("prices-import", Duration.ofMinutes(5));
            HttpResponse<String> answer = importFile(api, admin, file, apply);
            out.println(answer.body());
            if (answer.statusCode() != 200) {
                err.println("credit-api answered " + answer.statusCode());
                return 1;
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("cannot import " + file + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
