package io.llmmetering.local;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher's command line as a newcomer meets it with the system already running in a first terminal: a
 * second {@code --demo} drives that system instead of dying on taken ports, and a second plain launcher says in
 * one line which port is taken and by which process, without a stack trace; and SIGTERM (Ctrl-C) under traffic
 * stops a launcher within seconds.
 */
@Tag("integration")
class LauncherCommandLineTest {

    @Test
    void aSecondTerminalsDemoDrivesTheRunningSystemAndASecondLauncherSaysWhichPortIsTaken(@TempDir Path dir) throws Exception {
        String database = "t_cli_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        int kafkaPort = FreePorts.pair();
        int apiPort = FreePorts.one();
        int ingestPort = FreePorts.one();
        String dbUrl = "jdbc:postgresql://127.0.0.1:5432/" + database;
        LocalSettings settings = new LocalSettings(dir.resolve("first"), kafkaPort, kafkaPort + 1, apiPort, ingestPort, dbUrl, "postgres",
                "redis://127.0.0.1:6379/0", false, 0, Optional.empty());
        LocalLauncher first = new LocalLauncher();
        try {
            first.start(settings);

            Result demo = launch(dir, "--demo", "--events", "400", "--kafka-port", String.valueOf(kafkaPort), "--api-port",
                    String.valueOf(apiPort), "--ingest-port", String.valueOf(ingestPort), "--db-url", dbUrl, "--data-dir",
                    dir.resolve("second").toString());
            assertThat(demo.exit()).as(demo.output()).isZero();
            assertThat(demo.output()).contains("a system answers on 127.0.0.1:" + apiPort, "driving it", "discrepancies: 0")
                    .doesNotContain("BindException");

            Result second = launch(dir, "--kafka-port", String.valueOf(kafkaPort), "--api-port", String.valueOf(FreePorts.one()),
                    "--ingest-port", String.valueOf(FreePorts.one()), "--db-url", dbUrl, "--data-dir", dir.resolve("third").toString());
            assertThat(second.exit()).as(second.output()).isEqualTo(1);
            assertThat(second.output()).contains("[local] cannot start: Kafka port " + kafkaPort + " is in use by process "
                    + ProcessHandle.current().pid(), "[local] cannot start: Kafka controller port " + (kafkaPort + 1) + " is in use")
                    .doesNotContain("Exception").doesNotContain("\tat ");
        } finally {
            first.stop();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    @Test
    void sigtermUnderTrafficStopsTheLauncherWithinSeconds(@TempDir Path dir) throws Exception {
        String database = "t_sigterm_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        int kafkaPort = FreePorts.pair();
        int ingestPort = FreePorts.one();
        Path output = Files.createTempFile(dir, "launcher", ".log");
        Process launcher = new ProcessBuilder(javaCommand("--kafka-port", String.valueOf(kafkaPort), "--api-port",
                String.valueOf(FreePorts.one()), "--ingest-port", String.valueOf(ingestPort), "--db-url",
                "jdbc:postgresql://127.0.0.1:5432/" + database, "--data-dir", dir.resolve("data").toString()))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            String key = awaitIngestKey(launcher, output);
            AtomicLong accepted = new AtomicLong();
            Thread traffic = new Thread(() -> publishUntilRefused(ingestPort, key, accepted), "traffic");
            traffic.start();
            Awaitility.await().atMost(java.time.Duration.ofMinutes(2)).until(() -> accepted.get() >= 2_000 || !launcher.isAlive());

            long sent = System.nanoTime();
            launcher.destroy(); // SIGTERM, as Ctrl-C's shutdown hooks see it
            boolean exited = launcher.waitFor(30, TimeUnit.SECONDS);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sent);
            traffic.join(10_000);

            assertThat(exited).as("stopped within 30 s: " + Files.readString(output, StandardCharsets.UTF_8)).isTrue();
            System.out.printf("[sigterm] %d events accepted before SIGTERM, stopped in %d s%n", accepted.get(), seconds);
            assertThat(Files.readString(output, StandardCharsets.UTF_8)).contains("[local] stopped");
        } finally {
            launcher.destroyForcibly();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    private static String awaitIngestKey(Process launcher, Path output) {
        java.util.regex.Pattern printed = java.util.regex.Pattern.compile("ingest key +(\\S+)");
        String text = Awaitility.await("the launcher's ingest key").atMost(java.time.Duration.ofMinutes(3))
                .until(() -> Files.readString(output, StandardCharsets.UTF_8), printedSoFar -> printed.matcher(printedSoFar).find() || !launcher.isAlive());
        java.util.regex.Matcher key = printed.matcher(text);
        if (!key.find()) {
            throw new AssertionError("the launcher exited before printing an ingest key: " + text);
        }
        return key.group(1);
    }

    /** Batches of 100 events until ingest stops answering (the launcher is stopping). */
    private static void publishUntilRefused(int ingestPort, String key, AtomicLong accepted) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (int batch = 0; ; batch++) {
            StringBuilder body = new StringBuilder("[");
            for (int i = 0; i < 100; i++) {
                body.append(i == 0 ? "" : ",").append("{\"event_id\":\"sig-").append(batch).append('-').append(i)
                        .append("\",\"user_id\":\"u").append(i % 20).append("\",\"provider\":\"openai\",\"model\":\"gpt-4o\",")
                        .append("\"input_tokens\":100,\"output_tokens\":10}");
            }
            try {
                var answer = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + ingestPort + "/api/v1/usage/events"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .timeout(java.time.Duration.ofSeconds(5))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.append(']').toString())).build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding());
                if (answer.statusCode() == 202) {
                    accepted.addAndGet(100);
                }
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }

    private record Result(int exit, String output) {
    }

    private static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LocalLauncher.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** The launcher's main in a JVM of its own, as {@code java -jar metering-local.jar ARGS} runs it. */
    private static Result launch(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = javaCommand(args);
        Path output = Files.createTempFile(dir, "launcher", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(4, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the launcher did not exit: " + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
