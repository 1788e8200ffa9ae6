package io.llmmetering.creditapi.web;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A delivery verified by the npm {@code standardwebhooks} package (run with node), the reference implementation
 * integrators use: our signatures are the convention's, not merely consistent with our own check. Skipped where
 * node or the npm registry is not available.
 */
@Tag("integration")
class StandardWebhooksInteropTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Path PACKAGE_DIR = Path.of("target", "standardwebhooks");
    private final ApiServer api = ApiServer.get();

    @Test
    void theStandardWebhooksLibraryVerifiesOurDeliveriesAndRefusesATamperedOne() throws Exception {
        Assumptions.assumeTrue(run(List.of("node", "--version"), null, Path.of(".")).exitCode() == 0, "node is not installed");
        if (!Files.isDirectory(PACKAGE_DIR.resolve("node_modules").resolve("standardwebhooks"))) {
            Files.createDirectories(PACKAGE_DIR);
            Result installed = run(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", PACKAGE_DIR.toString(), "standardwebhooks@1.3.0"),
                    null, Path.of("."));
            Assumptions.assumeTrue(installed.exitCode() == 0, "npm could not install standardwebhooks: " + installed.output());
        }
        Files.copy(Path.of("src", "test", "node", "verify-webhook.js"), PACKAGE_DIR.resolve("verify-webhook.js"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        try (WebhookReceiver receiver = new WebhookReceiver(0, WebhookReceiver.Behaviour.NORMAL)) {
            String admin = api.adminToken();
            JsonNode endpoint = JSON.readTree(api.post("/api/v1/admin/webhooks", admin,
                    "{\"url\":\"" + receiver.url() + "\",\"event_types\":[\"webhook.test\"]}").body());
            String secret = endpoint.get("secret").asString();
            receiver.secret(secret);
            api.post("/api/v1/admin/webhooks/" + endpoint.get("id").asString() + "/test", admin, null);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !receiver.requests.isEmpty());
            WebhookReceiver.Received delivery = receiver.requests.get(0);

            Result verified = verify(secret, delivery, delivery.body());
            assertThat(verified.output()).as("node's verdict").isEqualTo("verified webhook.test");
            assertThat(verified.exitCode()).isZero();
            Result tampered = verify(secret, delivery, delivery.body().replace("webhook.test", "webhook.tesT"));
            assertThat(tampered.exitCode()).isEqualTo(1);
            assertThat(tampered.output()).startsWith("refused");
        }
    }

    private static Result verify(String secret, WebhookReceiver.Received delivery, String body) throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("webhook-id", delivery.id());
        headers.put("webhook-timestamp", Long.toString(delivery.timestamp()));
        headers.put("webhook-signature", delivery.signature());
        String input = JSON.writeValueAsString(Map.of("secret", secret, "headers", headers, "body", body));
        return run(List.of("node", "verify-webhook.js"), input, PACKAGE_DIR);
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command, String stdin, Path directory) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
            if (stdin != null) {
                process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
    }
}
