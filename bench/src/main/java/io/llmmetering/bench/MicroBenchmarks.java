package io.llmmetering.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs {@link HotPathBenchmarks} with JMH inside this JVM (no forks: the executable jar's nested class path is
 * not one a forked JVM could load), iterations of a second each: {@code --iterations} measured (5 by default), after
 * as many warm-up ones, at most 3.
 */
final class MicroBenchmarks {

    private MicroBenchmarks() {
    }

    static BenchResult run(int iterations) throws Exception {
        Options options = new OptionsBuilder().include(HotPathBenchmarks.class.getName()).forks(0)
                .warmupIterations(Math.min(3, iterations)).warmupTime(TimeValue.seconds(1))
                .measurementIterations(iterations).measurementTime(TimeValue.seconds(1)).build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, Object> nanos = new LinkedHashMap<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            nanos.put(name.substring(name.lastIndexOf('.') + 1), Math.round(result.getPrimaryResult().getScore() * 10) / 10.0);
        }
        return new BenchResult("jmh").put("nanoseconds_per_operation", nanos);
    }
}
