package io.llmmetering.local.faults;

import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One of the services run from its own executable jar (what docker-compose runs) in a process of its own, so
 * that a crash is a real one: {@link #kill()} is kill -9, nothing in the JVM gets to clean up. Output goes to
 * a log file beside the test's data, which a failing scenario names.
 */
final class ServiceProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path jar;
    private final int port;
    private final int managementPort;
    private final List<String> arguments;
    private final Path log;
    private Process process;
    private int starts;

    /** @param module the Maven module whose {@code target/*-exec.jar} runs */
    ServiceProcess(String name, String module, int port, List<String> arguments, Path logDir) {
        this.name = name;
        this.jar = executableJar(module);
        this.port = port;
        try {
            this.managementPort = io.llmmetering.local.FreePorts.one();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.arguments = List.copyOf(arguments);
        this.log = logDir.resolve(name + ".log");
    }

    static Path executableJar(String module) {
        Path target = Path.of("..", module, "target").toAbsolutePath().normalize();
        try (Stream<Path> files = Files.exists(target) ? Files.list(target) : Stream.empty()) {
            return files.filter(f -> f.getFileName().toString().endsWith("-exec.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no executable jar in " + target
                            + ": build it first (./mvnw -B install -DskipTests, or run the suite with ./mvnw verify)"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    synchronized ServiceProcess start() {
        if (alive()) {
            return this;
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // small heaps: four JVMs share two cores and the test's own JVM
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "--server.port=" + port, "--server.address=127.0.0.1", "--management.server.port=" + managementPort));
        command.addAll(arguments);
        try {
            Files.writeString(log, "==== start " + (++starts) + " ====\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        return this;
    }

    /**
     * Waits until the service's health answers 200, i.e. it is up and its dependencies are healthy. A service that
     * exits, or is not healthy in time, fails with what its health and its log say (CI keeps no service logs).
     */
    ServiceProcess awaitHealthy(Duration timeout) {
        try {
            Awaitility.await(name + " healthy (log: " + log + ")").atMost(timeout).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptionsInstanceOf(IOException.class).until(() -> {
                        if (!alive()) {
                            throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + lastErrorInLog() + " (log: " + log + ")");
                        }
                        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new IllegalStateException(name + " not healthy within " + timeout + ": health " + health() + "; log: " + lastErrorInLog()
                    + " (log: " + log + ")", e);
        }
        return this;
    }

    /**
     * The lines of this start's log that say what went wrong: Spring Boot's failure analysis, else the last error
     * logged with the root cause of its stack trace (or the JVM's own error). A scenario's failure message carries
     * it, since CI keeps the build's output but not the logs.
     */
    String lastErrorInLog() {
        List<String> lines;
        try {
            lines = Files.readAllLines(log, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "no log (" + e.getMessage() + ")";
        }
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("==== start ")) {
                start = i;
            }
        }
        List<String> run = lines.subList(start, lines.size());
        int description = run.indexOf("Description:");
        if (description >= 0) {
            return run.stream().skip(description + 1).filter(line -> !line.isBlank()).findFirst().orElse("").strip();
        }
        String error = null;
        String rootCause = null;
        for (String line : run) {
            if (line.contains(" ERROR ")) {
                error = line.strip();
                rootCause = null;
            } else if (line.startsWith("Caused by:") || line.startsWith("Error") || (error == null && line.contains("Exception:"))) {
                rootCause = line.strip();
            }
        }
        if (error != null || rootCause != null) {
            return error == null ? rootCause : rootCause == null ? error : error + " / " + rootCause;
        }
        return run.isEmpty() ? "empty log" : "last line: " + run.get(run.size() - 1).strip();
    }

    /** kill -9: no shutdown hook, no flush, no leave-group, no transaction abort. */
    synchronized void kill() {
        if (alive()) {
            process.destroyForcibly();
            waitFor();
        }
    }

    /** SIGTERM: the graceful shutdown a deployment does on a rolling restart. */
    synchronized void stop() {
        if (alive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            waitFor();
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The service's Prometheus page (on its management port), or "" when it does not answer. */
    String metrics() {
        HttpResponse<String> page = get("http://127.0.0.1:" + managementPort + "/actuator/prometheus");
        return page == null ? "" : page.body();
    }

    /** Its health with every component's details (on its management port), or "" when it does not answer. */
    String health() {
        HttpResponse<String> page = get("http://127.0.0.1:" + managementPort + "/actuator/health");
        return page == null ? "" : page.body();
    }

    /** What {@code /healthz} answers on the service port: 200 UP, 503 DOWN; -1 when nothing answers. */
    int healthStatus() {
        HttpResponse<String> page = get("http://127.0.0.1:" + port + "/healthz");
        return page == null ? -1 : page.statusCode();
    }

    private static HttpResponse<String> get(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void waitFor() {
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        kill();
    }
}
