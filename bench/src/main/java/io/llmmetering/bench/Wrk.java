package io.llmmetering.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * wrk, Debian's HTTP load generator, run as a process of its own on 127.0.0.1 so the load tool's work is not
 * counted in the measured JVM, and the figures it prints. wrk keeps a fixed number of connections busy: the
 * figures are at saturation with that many concurrent callers.
 */
final class Wrk {

    private static final Path WRK = Path.of("/usr/bin/wrk");
    private static final Pattern PERCENTILE = Pattern.compile("(?m)^\\s+(50|75|90|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s|m)\\s*$");
    private static final Pattern RATE = Pattern.compile("(?m)^Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(?m)^\\s+(\\d+) requests in");
    private static final Pattern NON_2XX = Pattern.compile("(?m)^\\s+Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile("(?m)^\\s+Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    /** What one wrk run measured; latencies in milliseconds. */
    record Figures(double requestsPerSecond, long requests, double p50, double p75, double p90, double p99, long non2xx, long socketErrors) {

        Map<String, Object> asJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("requests_per_second", Math.round(requestsPerSecond));
            json.put("requests", requests);
            json.put("latency_ms_p50", p50);
            json.put("latency_ms_p75", p75);
            json.put("latency_ms_p90", p90);
            json.put("latency_ms_p99", p99);
            json.put("non_2xx", non2xx);
            json.put("socket_errors", socketErrors);
            return json;
        }
    }

    private Wrk() {
    }

    static void requireInstalled() {
        if (!Files.isExecutable(WRK)) {
            throw new IllegalStateException("wrk is not installed: apt-get install -y wrk");
        }
    }

    /** Runs wrk against {@code url} with a Lua script for {@code seconds} after a warm-up (JIT, pools) with the same script. */
    static Figures run(String url, String luaScript, int threads, int connections, int seconds) throws IOException, InterruptedException {
        return run(url, luaScript, luaScript, threads, connections, seconds);
    }

    /** As above, warming up with a script of its own (one that must not touch what the measured run reads, say). */
    static Figures run(String url, String warmUpScript, String luaScript, int threads, int connections, int seconds)
            throws IOException, InterruptedException {
        // as long as the measurement and as concurrent: the JIT compiles the paths the measured run takes
        warmUp(url, warmUpScript, threads, connections, Math.min(seconds, 15));
        return measure(url, luaScript, threads, connections, seconds);
    }

    /** Load whose figures nobody reads: a warm-up. */
    static void warmUp(String url, String luaScript, int threads, int connections, int seconds) throws IOException, InterruptedException {
        measure(url, luaScript, threads, connections, seconds);
    }

    /** One measured wrk run, without a warm-up. */
    static Figures measure(String url, String luaScript, int threads, int connections, int seconds) throws IOException, InterruptedException {
        Path script = Files.createTempFile("wrk-", ".lua");
        try {
            Files.writeString(script, luaScript);
            return parse(execute(url, script, threads, connections, seconds));
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static String execute(String url, Path script, int threads, int connections, int seconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(WRK.toString(), "-t" + threads, "-c" + connections, "-d" + seconds + "s",
                "--latency", "--timeout", "10s", "-s", script.toString(), url));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(seconds + 60L, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("wrk failed: " + output);
        }
        return output;
    }

    static Figures parse(String output) {
        Map<String, Double> percentiles = new LinkedHashMap<>();
        Matcher p = PERCENTILE.matcher(output);
        while (p.find()) {
            double value = Double.parseDouble(p.group(2));
            double millis = switch (p.group(3)) {
                case "us" -> value / 1_000;
                case "ms" -> value;
                case "s" -> value * 1_000;
                default -> value * 60_000;
            };
            percentiles.put(p.group(1), Math.round(millis * 1_000) / 1_000.0);
        }
        Matcher rate = RATE.matcher(output);
        Matcher total = TOTAL.matcher(output);
        if (!rate.find() || !total.find() || percentiles.size() < 4) {
            throw new IllegalStateException("cannot read wrk's output: " + output);
        }
        Matcher non2xx = NON_2XX.matcher(output);
        Matcher socket = SOCKET_ERRORS.matcher(output);
        long socketErrors = 0;
        if (socket.find()) {
            for (int group = 1; group <= 4; group++) {
                socketErrors += Long.parseLong(socket.group(group));
            }
        }
        return new Figures(Double.parseDouble(rate.group(1)), Long.parseLong(total.group(1)), percentiles.get("50"), percentiles.get("75"),
                percentiles.get("90"), percentiles.get("99"), non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, socketErrors);
    }
}
