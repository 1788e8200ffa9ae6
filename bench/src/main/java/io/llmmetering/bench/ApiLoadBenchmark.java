package io.llmmetering.bench;

import io.llmmetering.creditapi.auth.TokenIssuer;
import io.llmmetering.local.LocalSecret;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP load on credit-api (the local system in this JVM) with wrk as a separate process: per endpoint,
 * requests/s and latency percentiles at 8 concurrent connections, each endpoint's share of the floor (a static
 * file of the same server: what a request costs before any code of ours runs), and the balance cache's hit rate.
 * The balance is read warm (one account, again and again) and cold (every request a different one of hundreds of
 * thousands of accounts, so every read misses Redis and goes to PostgreSQL). Endpoints are measured once the JIT
 * has settled, each after a warm-up as long as its measurement. Part of a command-line tool:
 * progress goes to stdout.
 */
final class ApiLoadBenchmark {

    private static final int FUNDED_USERS = 200;
    private static final int COLD_USERS_PER_THREAD = 150_000;
    private static final int THREADS = 2;
    private static final int CONNECTIONS = 8;
    private static final int DEDUCT_ACCOUNTS = 1_000;
    private static final int ENDPOINTS = 9;
    private static final Pattern CACHE = Pattern.compile("(?m)^credit_cache_requests_total\\{[^}]*result=\"(hit|miss)\"[^}]*} ([0-9.E]+)");
    private static final Pattern BATCHES = Pattern.compile("(?m)^(credit_spend(?:_reads)?_batch_size_(?:count|sum))(?:\\{[^}]*})? ([0-9.E]+)");
    private static final int SETTLING_SECONDS = 4;
    /** The start of a wrk script whose requests each thread numbers ({@code tid}, {@code n}), for names no request repeats. */
    private static final String NUMBERED_REQUESTS = """
            local threads = 0
            function setup(thread) thread:set("tid", threads); threads = threads + 1 end
            local n = 0
            request = function()
              n = n + 1
            """;
    private static final int MAX_SETTLING_PASSES = 6;
    /** Runs shorter than this are smoke runs: one quick settling pass. */
    private static final int SMOKE_SECONDS = 5;
    private final BenchOptions options;
    private final CpuAccounting cpu = new CpuAccounting();
    /** Numbers each holds run, so no run repeats another's request ids. */
    private final java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
    private boolean settling;
    private final HttpClient http = HttpClient.newHttpClient();

    ApiLoadBenchmark(BenchOptions options) {
        this.options = options;
    }

    BenchResult run() throws Exception {
        Wrk.requireInstalled();
        String run = BenchOptions.runId();
        BenchResult result = new BenchResult("api").put("seconds_per_endpoint", options.seconds()).put("threads", THREADS)
                .put("connections", options.connections()).put("spend", options.spend()).put("load_tool", "wrk (separate process)");
        // how credit-api applies holds and deducts, read by its configuration like any system property
        System.setProperty("credit.spend.batched", String.valueOf(options.spend().equals("batched")));
        try (BenchSystem system = new BenchSystem(options, "bench_api_" + run)) {
            TokenIssuer tokens = new TokenIssuer(LocalSecret.jwtSecret(system.dataDir, System.getenv()));
            String admin = tokens.admin("bench-admin@example.com", Duration.ofHours(2));
            String service = tokens.service("bench-proxy", Duration.ofHours(2));
            for (int user = 1; user <= FUNDED_USERS; user++) {
                post(system.apiUrl() + "/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"bench-" + run + "-" + user + "\",\"amount\":1000000}");
            }
            for (int connections : options.connections()) {
                try (var c = system.connect(); PreparedStatement cold = c.prepareStatement(
                        "INSERT INTO user_credits (user_id) SELECT 'cold-' || ? || '-' || t || '-' || n FROM generate_series(0, ?) t, generate_series(1, ?) n")) {
                    cold.setInt(1, connections);
                    cold.setInt(2, THREADS - 1);
                    cold.setInt(3, COLD_USERS_PER_THREAD);
                    cold.executeUpdate();
                }
            }
            String user = tokens.user("bench-" + run + "-1", Duration.ofHours(2));
            StringBuilder deductTokens = new StringBuilder("local tokens = {");
            for (int account = 1; account <= DEDUCT_ACCOUNTS; account++) {
                String accountId = "bench-deduct-" + run + "-" + account;
                post(system.apiUrl() + "/api/v1/admin/credits/allocate", admin, "{\"user_id\":\"" + accountId + "\",\"amount\":1000000}");
                deductTokens.append('"').append(tokens.user(accountId, Duration.ofHours(2))).append("\",");
            }
            deductTokens.append("}\n");
            Map<String, Object> endpoints = new LinkedHashMap<>();
            // with --rate: the pipeline under load beside the API, as proxies check spend while they publish
            Duration longestRun = Duration.ofSeconds(ENDPOINTS * 2L * options.connections().size()
                    * (options.seconds() + MAX_SETTLING_PASSES * SETTLING_SECONDS) + 300);
            PipelineLoad load = options.rates().isEmpty() ? null : PipelineLoad.start(system, options, options.rates().get(0), longestRun);
            double[][] cacheCounts = new double[3][];
            String cold = NUMBERED_REQUESTS + """
                      return wrk.format("GET", "/api/v1/admin/users/%s" .. tid .. "-" .. n .. "/balance", {["Authorization"]="Bearer %s"})
                    end
                    """;
            String holds = NUMBERED_REQUESTS + """
                      local body = '{"user_id":"bench-%s-' .. math.random(1, %d) .. '","request_id":"r%s-' .. tid .. '-' .. n .. '","estimated_cost":0.000001}'
                      return wrk.format("POST", "/api/v1/credits/holds", {["Authorization"]="Bearer %s", ["Content-Type"]="application/json"}, body)
                    end
                    """;
            List<Endpoint> all = List.of(
                    new Endpoint("calculate_cost", system.apiUrl() + "/api/v1/credits/calculate-cost", connections -> """
                            wrk.method = "POST"
                            wrk.body = '{"tokens_used":1000,"model":"gpt-4o","power_level":"balanced"}'
                            wrk.headers["Content-Type"] = "application/json"
                            """),
                    // the floor: a static file of the same server, through the same filters, with no code of ours behind it
                    // (measured second, so the JVM that serves it is as warm as for the endpoints after it)
                    new Endpoint("static_floor", system.apiUrl() + "/usage/usage.css", connections -> ""),
                    new Endpoint("balance_warm", system.apiUrl() + "/api/v1/credits/balance", connections -> """
                            wrk.headers["Authorization"] = "Bearer %s"
                            """.formatted(user)),
                    // the warm-up reads accounts of its own, so every account the measured run reads is still cold; the JIT's
                    // settling passes read others again, so the warm-up's reads miss too, as the cold hit rate counts them
                    new Endpoint("balance_cold", system.apiUrl(), connections -> cold.formatted("cold-" + connections + "-", admin),
                            connections -> cold.formatted((settling ? "cold-settling-" : "cold-warm-up-") + connections + "-", admin)),
                    new Endpoint("authorize", system.apiUrl(), connections -> """
                            request = function()
                              return wrk.format("GET", "/api/v1/credits/authorize?estimated_cost=0.01&user_id=bench-%s-" .. math.random(1, %d),
                                                {["Authorization"]="Bearer %s"})
                            end
                            """.formatted(run, FUNDED_USERS, service)),
                    new Endpoint("holds", system.apiUrl(), connections -> holds.formatted(run, FUNDED_USERS, runs.incrementAndGet(), service)),
                    // every request contends for one account row
                    new Endpoint("holds_one_account", system.apiUrl(), connections -> holds.formatted(run, 1, runs.incrementAndGet(), service)),
                    new Endpoint("deduct_one_account", system.apiUrl() + "/api/v1/credits/deduct", connections -> """
                            wrk.method = "POST"
                            wrk.body = '{"amount":0.000001}'
                            wrk.headers["Content-Type"] = "application/json"
                            wrk.headers["Authorization"] = "Bearer %s"
                            """.formatted(user)),
                    new Endpoint("deduct_distinct_accounts", system.apiUrl(), connections -> deductTokens + """
                            request = function()
                              return wrk.format("POST", "/api/v1/credits/deduct", {["Authorization"]="Bearer " .. tokens[math.random(1, #tokens)],
                                                ["Content-Type"]="application/json"}, '{"amount":0.000001}')
                            end
                            """));
            List<Endpoint> chosen = all.stream().filter(e -> options.endpoints().isEmpty() || options.endpoints().contains(e.name())).toList();
            List<String> unknown = options.endpoints().stream().filter(name -> all.stream().noneMatch(e -> e.name().equals(name))).toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("unknown --endpoints " + unknown + "; known: "
                        + all.stream().map(Endpoint::name).toList());
            }
            Pass everyEndpoint = () -> {
                for (int connections : settling ? options.connections().subList(0, 1) : options.connections()) {
                    for (Endpoint endpoint : chosen) {
                        if (endpoint.name().equals("balance_warm")) {
                            cacheCounts[0] = cache(system);
                        }
                        measure(system, endpoints, endpoint, connections);
                        if (endpoint.name().equals("balance_warm")) {
                            cacheCounts[1] = cache(system);
                        } else if (endpoint.name().equals("balance_cold")) {
                            cacheCounts[2] = cache(system);
                        }
                    }
                }
            };
            settleTheJit(everyEndpoint);
            endpoints.clear();
            everyEndpoint.run();
            Object floorFigures = endpoints.get("static_floor");
            for (Map.Entry<String, Object> endpoint : floorFigures == null ? Map.<String, Object>of().entrySet() : endpoints.entrySet()) {
                double floor = ((Number) ((Map<?, ?>) floorFigures).get("requests_per_second")).doubleValue();
                @SuppressWarnings("unchecked")
                Map<String, Object> figures = (Map<String, Object>) endpoint.getValue();
                double share = ((Number) figures.get("requests_per_second")).doubleValue() / floor;
                figures.put("share_of_floor", Math.round(share * 1_000) / 1_000.0);
                System.out.printf("[bench] api %-28s %5.1f %% of the floor%n", endpoint.getKey(), share * 100);
            }
            result.put("endpoints", endpoints);
            boolean loadApplied = true;
            if (load != null) {
                Map<String, Object> pipeline = load.stopAndCheck();
                load.close();
                result.put("pipeline_load", pipeline);
                loadApplied = (Boolean) pipeline.get("all_applied");
            }
            if (cacheCounts[0] != null && cacheCounts[1] != null && cacheCounts[2] != null) {
                result.put("cache_hit_rate_warm_balance", hitRate(cacheCounts[0], cacheCounts[1]));
                result.put("cache_hit_rate_cold_balance", hitRate(cacheCounts[1], cacheCounts[2]));
            }
            result.put("cache_hit_rate_whole_run", hitRate(new double[]{0, 0}, cache(system)));
            long errors = endpoints.values().stream().mapToLong(e -> ((Number) ((Map<?, ?>) e).get("non_2xx")).longValue()
                    + ((Number) ((Map<?, ?>) e).get("socket_errors")).longValue()).sum();
            result.put("errors", errors);
            // every answer must be a success: a refused or failed request is a discrepancy of this benchmark
            result.put("discrepancies", errors + (loadApplied ? 0 : 1));
            return result;
        }
    }

    @FunctionalInterface
    private interface Pass {
        void run() throws Exception;
    }

    /**
     * Runs every endpoint's warm-up, a few seconds each, until the JIT has little left to compile (under a tenth of
     * a pass's wall time), at most {@value #MAX_SETTLING_PASSES} passes, one short one for a smoke run: measured
     * before that, an endpoint shares the cores with the compiler, and the same build read a floor of 5,260 and of
     * 9,853 requests/s ten minutes apart.
     */
    private void settleTheJit(Pass everyEndpoint) throws Exception {
        settling = true;
        try {
            int passes = options.seconds() < SMOKE_SECONDS ? 1 : MAX_SETTLING_PASSES;
            for (int pass = 1; pass <= passes; pass++) {
                long compiledBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
                long started = System.nanoTime();
                everyEndpoint.run();
                long jitMillis = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - compiledBefore;
                long wallMillis = (System.nanoTime() - started) / 1_000_000;
                System.out.printf("[bench] api settling the JIT: pass %d compiled %,d ms in %,d ms%n", pass, jitMillis, wallMillis);
                if (jitMillis * 10 < wallMillis) {
                    return;
                }
            }
        } finally {
            settling = false;
        }
    }

    /**
     * One endpoint's load: its script for a number of connections, and the one its warm-up runs (the same unless
     * the measured run must find what it reads untouched).
     */
    private record Endpoint(String name, String url, IntFunction<String> lua, IntFunction<String> warmUpLua) {

        Endpoint(String name, String url, IntFunction<String> lua) {
            this(name, url, lua, lua);
        }
    }

    /**
     * Warm-up and measurement of one endpoint at {@code connections}; named as it is at the default 8 connections,
     * with {@code _c<connections>} appended at others. The JIT's compile time during them is printed beside the
     * figures (in a JVM that started minutes ago the compiler can take most of a core), and the CPU that the server
     * (this JVM), PostgreSQL and Redis spent per request during the measured run (wrk's own is not counted).
     */
    private void measure(BenchSystem system, Map<String, Object> endpoints, Endpoint endpoint, int connections) throws Exception {
        if (settling) {
            Wrk.warmUp(endpoint.url(), endpoint.warmUpLua().apply(connections), THREADS, connections,
                    Math.max(1, Math.min(SETTLING_SECONDS, options.seconds() / 2)));
            return;
        }
        long compiledBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        Wrk.warmUp(endpoint.url(), endpoint.warmUpLua().apply(connections), THREADS, connections, Math.min(options.seconds(), 15));
        Map<String, Double> batchesBefore = batches(system);
        CpuAccounting.Snapshot before = cpu.snapshot();
        Wrk.Figures figures = Wrk.measure(endpoint.url(), endpoint.lua().apply(connections), THREADS, connections, options.seconds());
        Map<String, Object> spent = CpuAccounting.between(before, cpu.snapshot());
        Map<String, Double> batchesAfter = batches(system);
        long jitMillis = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - compiledBefore;
        String name = endpoint.name() + (connections == CONNECTIONS ? "" : "_c" + connections);
        Map<String, Object> perRequest = new LinkedHashMap<>();
        for (String process : List.of("jvm_total", "postgresql", "redis")) {
            perRequest.put(process.equals("jvm_total") ? "server" : process,
                    BenchMath.round(((Number) spent.get(process)).doubleValue() * 1e6 / Math.max(1, figures.requests())));
        }
        System.out.printf("[bench] api %-28s %,8.0f requests/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  errors %d  jit %,d ms  cpu us/request %s%n",
                name, figures.requestsPerSecond(), figures.p50(), figures.p90(), figures.p99(), figures.non2xx() + figures.socketErrors(), jitMillis,
                perRequest);
        Map<String, Object> json = new LinkedHashMap<>(figures.asJson());
        json.put("connections", connections);
        json.put("cpu_us_per_request", perRequest);
        for (String kind : List.of("credit_spend_batch_size", "credit_spend_reads_batch_size")) {
            double count = batchesAfter.getOrDefault(kind + "_count", 0.0) - batchesBefore.getOrDefault(kind + "_count", 0.0);
            if (count > 0) {
                double mean = (batchesAfter.get(kind + "_sum") - batchesBefore.getOrDefault(kind + "_sum", 0.0)) / count;
                json.put(kind.replace("credit_spend", "mean_spend"), BenchMath.round(mean));
                System.out.printf("[bench] api %-28s %s mean %.1f requests%n", name, kind, mean);
            }
        }
        json.put("machine_busy_share", spent.get("machine_busy_share"));
        json.put("jit_compile_ms_during_warm_up_and_run", jitMillis);
        endpoints.put(name, json);
    }

    /** The spend batches' size summaries so far ({@code <name>_count}, {@code <name>_sum}), from the metrics page. */
    private static Map<String, Double> batches(BenchSystem system) throws Exception {
        Map<String, Double> figures = new LinkedHashMap<>();
        Matcher m = BATCHES.matcher(system.creditApiMetrics());
        while (m.find()) {
            figures.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
        }
        return figures;
    }

    private void post(String url, String token, String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    /** {hits, misses} of the balance cache so far. */
    private double[] cache(BenchSystem system) throws Exception {
        String page = system.creditApiMetrics();
        double[] counts = new double[2];
        Matcher m = CACHE.matcher(page);
        while (m.find()) {
            counts[m.group(1).equals("hit") ? 0 : 1] = Double.parseDouble(m.group(2));
        }
        return counts;
    }

    private static double hitRate(double[] from, double[] to) {
        double hits = to[0] - from[0];
        double total = hits + to[1] - from[1];
        return total == 0 ? 0 : Math.round(hits / total * 1_000) / 1_000.0;
    }
}
