package io.llmmetering.local;

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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher's command line as a newcomer meets it with the system already running in a first terminal: a
 * second {@code --demo} drives that system instead of dying on taken ports, and a second plain launcher says in
 * one line which port is taken and by which process, without a stack trace.
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

    private record Result(int exit, String output) {
    }

    /** The launcher's main in a JVM of its own, as {@code java -jar metering-local.jar ARGS} runs it. */
    private static Result launch(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LocalLauncher.class.getName()));
        command.addAll(List.of(args));
        Path output = Files.createTempFile(dir, "launcher", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(4, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the launcher did not exit: " + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
