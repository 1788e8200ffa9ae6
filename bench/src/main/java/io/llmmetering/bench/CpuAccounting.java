package io.llmmetering.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU seconds spent by each part of the pipeline between two snapshots: the Java threads of this JVM grouped by
 * what they run (broker, topology, applier, ...; the whole system runs in one JVM, so threads are its processes),
 * the JVM's own JIT and GC threads, every PostgreSQL process and redis-server, read from {@code /proc}. Threads
 * that ended between the snapshots are counted in {@code jvm_other} (the process total minus its live threads).
 * Linux only; elsewhere the figures are empty.
 */
final class CpuAccounting {

    /** Thread name -> group, first match wins. The names are those the services give their threads. */
    private static final List<Map.Entry<String, String>> JAVA_GROUPS = List.of(
            Map.entry("bench-", "load_generator"),
            Map.entry("main", "load_generator"),
            Map.entry("metering-streams", "topology"),
            Map.entry("debit-applier", "applier"),
            Map.entry("credit-api-debit-applier", "applier"),
            Map.entry("lettuce-", "applier_redis_client"),
            Map.entry("credit-api", "credit_api_other"),
            Map.entry("http-nio", "http"),
            Map.entry("ledger-maintenance", "credit_api_other"),
            Map.entry("usage-analytics", "credit_api_other"),
            Map.entry("price-book-feed", "credit_api_other"),
            Map.entry("kafka-producer-network-thread", "kafka_clients_other"),
            Map.entry("kafka-coordinator-heartbeat-thread", "kafka_clients_other"),
            Map.entry("data-plane-kafka", "broker"),
            Map.entry("kafka-", "broker"),
            Map.entry("TxnMarkerSender", "broker"),
            Map.entry("AddPartitionsTo", "broker"),
            Map.entry("group-coordinator", "broker"),
            Map.entry("transaction-coordinator", "broker"),
            Map.entry("quorum-controller", "broker"),
            Map.entry("controller-", "broker"),
            Map.entry("executor-", "broker"),
            Map.entry("ExpirationReaper", "broker"),
            Map.entry("broker-", "broker"),
            Map.entry("raft-", "broker"),
            Map.entry("LogDirFailureHandler", "broker"),
            Map.entry("share-", "broker"));
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    record Snapshot(long nanoTime, Map<String, Double> seconds, double machineBusySeconds, double machineTotalSeconds) {
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    Snapshot snapshot() {
        Map<String, Double> seconds = new LinkedHashMap<>();
        double javaThreads = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu > 0) {
                seconds.merge(groupOf(info.getThreadName()), cpu / 1e9, Double::sum);
                javaThreads += cpu / 1e9;
            }
        }
        Map<String, Double> internal = jvmInternalThreads();
        internal.forEach((group, value) -> seconds.merge(group, value, Double::sum));
        double process = processSeconds();
        seconds.put("jvm_other", Math.max(0, process - javaThreads - internal.values().stream().mapToDouble(Double::doubleValue).sum()));
        seconds.put("jvm_total", process);
        double[] postgres = postgres();
        seconds.put("postgresql", postgres[0] + postgres[1]);
        seconds.put("postgresql_backends", postgres[0]);
        seconds.put("postgresql_background", postgres[1]);
        seconds.put("redis", processesNamed("redis-server"));
        double[] machine = machine();
        return new Snapshot(System.nanoTime(), seconds, machine[0], machine[1]);
    }

    /** Seconds per group between two snapshots, and the share of the machine's CPU that was busy. */
    static Map<String, Object> between(Snapshot from, Snapshot to) {
        Map<String, Object> figures = new LinkedHashMap<>();
        to.seconds().forEach((group, value) -> figures.put(group, BenchMath.round(value - from.seconds().getOrDefault(group, 0.0))));
        double total = to.machineTotalSeconds() - from.machineTotalSeconds();
        figures.put("machine_busy_share", total <= 0 ? 0 : BenchMath.round((to.machineBusySeconds() - from.machineBusySeconds()) / total));
        figures.put("wall_seconds", BenchMath.round((to.nanoTime() - from.nanoTime()) / 1e9));
        return figures;
    }

    /** Microseconds of CPU per event for each group (and for all of them: {@code all_processes}). */
    static Map<String, Object> perEvent(Map<String, Object> seconds, long events) {
        Map<String, Object> micros = new LinkedHashMap<>();
        if (events <= 0) {
            return micros;
        }
        for (Map.Entry<String, Object> entry : seconds.entrySet()) {
            if (!entry.getKey().equals("machine_busy_share") && !entry.getKey().equals("wall_seconds")) {
                micros.put(entry.getKey(), BenchMath.round(((Number) entry.getValue()).doubleValue() * 1e6 / events));
            }
        }
        micros.put("all_processes", BenchMath.round(allProcesses(seconds) * 1e6 / events));
        return micros;
    }

    /** The share of all processes' CPU that {@code group} spent (0 where nothing was measured). */
    static double share(Map<String, Object> seconds, String group) {
        double all = allProcesses(seconds);
        return all <= 0 ? 0 : ((Number) seconds.getOrDefault(group, 0.0)).doubleValue() / all;
    }

    /** Every group once: not the JVM's total (its groups are counted) nor PostgreSQL's parts (its total is). */
    private static double allProcesses(Map<String, Object> seconds) {
        double all = 0;
        for (Map.Entry<String, Object> entry : seconds.entrySet()) {
            String group = entry.getKey();
            if (!group.equals("machine_busy_share") && !group.equals("wall_seconds") && !group.equals("jvm_total")
                    && !group.startsWith("postgresql_")) {
                all += ((Number) entry.getValue()).doubleValue();
            }
        }
        return all;
    }

    static String groupOf(String threadName) {
        for (Map.Entry<String, String> group : JAVA_GROUPS) {
            if (threadName.startsWith(group.getKey()) || threadName.contains("| " + group.getKey())) {
                return group.getValue();
            }
        }
        return "java_other";
    }

    private static double processSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return 0;
    }

    /** The JVM's own threads, which Java cannot see: the JIT compilers and the garbage collector. */
    private static Map<String, Double> jvmInternalThreads() {
        Map<String, Double> seconds = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String name = read(task.resolve("comm")).strip();
                String group = name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler") ? "jit"
                        : name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread") ? "gc" : null;
                if (group != null) {
                    seconds.merge(group, ticks(read(task.resolve("stat")), false) / (double) CLOCK_TICKS_PER_SECOND, Double::sum);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return seconds;
    }

    /**
     * PostgreSQL's CPU: its backends (the sessions running our statements, and what ended ones used), and its
     * background processes (checkpointer, background writer, WAL writer, autovacuum), told apart by their titles.
     */
    private static double[] postgres() {
        double backends = 0;
        double background = 0;
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    if (!read(process.resolve("comm")).strip().startsWith("postgres")) {
                        continue;
                    }
                    String title = read(process.resolve("cmdline")).replace('\0', ' ');
                    double seconds = ticks(read(process.resolve("stat")), true) / (double) CLOCK_TICKS_PER_SECOND;
                    if (title.contains("checkpointer") || title.contains("background writer") || title.contains("walwriter")
                            || title.contains("autovacuum") || title.contains("logical replication") || title.contains("archiver")) {
                        background += seconds;
                    } else {
                        backends += seconds;
                    }
                } catch (IOException gone) {
                    // ended while read
                }
            }
        } catch (IOException | RuntimeException e) {
            return new double[]{0, 0};
        }
        return new double[]{backends, background};
    }

    /** Every process of that name, with what its exited children used (a server's ended backends). */
    private static double processesNamed(String name) {
        long ticks = 0;
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            List<Path> matching = new ArrayList<>();
            for (Path process : processes.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    if (read(process.resolve("comm")).strip().startsWith(name)) {
                        matching.add(process);
                    }
                } catch (IOException gone) {
                    // ended while listed
                }
            }
            for (Path process : matching) {
                try {
                    ticks += ticks(read(process.resolve("stat")), true);
                } catch (IOException gone) {
                    // ended while read
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return ticks / (double) CLOCK_TICKS_PER_SECOND;
    }

    /** utime + stime (and cutime + cstime) of a /proc stat line; the command name may hold spaces, so fields count from ')'. */
    private static long ticks(String stat, boolean withChildren) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return withChildren ? ticks + Long.parseLong(fields[13]) + Long.parseLong(fields[14]) : ticks;
    }

    /** Busy and total CPU seconds of the whole machine (all cores) since boot. */
    private static double[] machine() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(fields.length, 9); i++) {
                total += Long.parseLong(fields[i]);
            }
            long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
            return new double[]{(total - idle) / (double) CLOCK_TICKS_PER_SECOND, total / (double) CLOCK_TICKS_PER_SECOND};
        } catch (IOException | RuntimeException e) {
            return new double[]{0, 0};
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file);
    }
}
