package io.llmmetering.bench;

import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The figures of one command, printed as one summary line and written as JSON for comparison across versions. */
final class BenchResult {

    private final String command;
    private final Map<String, Object> figures = new LinkedHashMap<>();

    BenchResult(String command) {
        this.command = command;
        figures.put("command", command);
        figures.put("date", Instant.now().toString());
        figures.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB max heap, Java "
                + System.getProperty("java.version"));
    }

    BenchResult put(String name, Object value) {
        figures.put(name, value);
        return this;
    }

    Map<String, Object> figures() {
        return figures;
    }

    Object get(String name) {
        return figures.get(name);
    }

    /** The heap's peak use in this JVM so far, in MiB (all heap pools' peaks). */
    static long heapPeakMib() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak >> 20;
    }

    Path write(Path directory) throws IOException {
        figures.put("heap_peak_mib", heapPeakMib());
        Files.createDirectories(directory);
        Path file = directory.resolve(command + ".json");
        Files.writeString(file, JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(figures) + "\n");
        return file;
    }

    String summaryLine() {
        StringBuilder line = new StringBuilder("[bench] " + command);
        figures.forEach((name, value) -> {
            if (!name.equals("command") && !name.equals("date") && !name.equals("machine") && !(value instanceof Map) && !(value instanceof java.util.List)) {
                line.append(' ').append(name).append('=').append(value);
            }
        });
        return line.toString();
    }
}
