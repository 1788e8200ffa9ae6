package io.llmmetering.creditapi.wiring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Work that runs beside the requests for the life of the application: loops on named threads of their own (the
 * debit appliers, the Kafka readers), stopped by closing them, and jobs on one schedule (Spring's task scheduler),
 * each failure logged and tried again at the next tick. The one place this service starts and stops threads.
 */
final class Background implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Background.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(15);

    /** A loop that runs until {@code stop} is closed. */
    record Loop(String name, Runnable body, AutoCloseable stop) {
    }

    /** Work run again and again, {@code every} apart, the first time after {@code first}. */
    record Job(String name, Duration first, Duration every, Task task) {
    }

    @FunctionalInterface
    interface Task {
        void run() throws Exception;
    }

    private final String name;
    private final List<Loop> loops;
    private final List<Job> jobs;
    private final List<Thread> threads = new ArrayList<>();
    private volatile ThreadPoolTaskScheduler scheduler;

    Background(String name, List<Loop> loops, List<Job> jobs) {
        this.name = name;
        this.loops = List.copyOf(loops);
        this.jobs = List.copyOf(jobs);
    }

    @Override
    public void start() {
        for (Loop loop : loops) {
            Thread thread = new Thread(loop.body(), loop.name());
            thread.setDaemon(true);
            thread.setUncaughtExceptionHandler((t, e) -> log.error("background loop died thread={} error={}", t.getName(), e.toString(), e));
            thread.start();
            threads.add(thread);
        }
        if (!jobs.isEmpty()) {
            ThreadPoolTaskScheduler started = new ThreadPoolTaskScheduler();
            started.setThreadNamePrefix(name + "-");
            started.setDaemon(true);
            started.initialize();
            for (Job job : jobs) {
                started.scheduleWithFixedDelay(() -> guarded(job), Instant.now().plus(job.first()), job.every());
            }
            scheduler = started;
        }
    }

    private static void guarded(Job job) {
        try {
            job.task().run();
        } catch (Exception e) {
            log.warn("background job failed job={} error={}", job.name(), e.toString());
        }
    }

    /** True while every loop's thread is alive. */
    boolean loopsAlive() {
        return !threads.isEmpty() && threads.stream().allMatch(Thread::isAlive);
    }

    @Override
    public void stop() {
        ThreadPoolTaskScheduler running = scheduler;
        if (running != null) {
            running.shutdown();
        }
        for (Loop loop : loops) {
            try {
                loop.stop().close();
            } catch (Exception e) {
                log.warn("background loop did not close loop={} error={}", loop.name(), e.toString());
            }
        }
        for (Thread thread : threads) {
            try {
                thread.join(STOP_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.clear();
        scheduler = null;
    }

    @Override
    public boolean isRunning() {
        return !threads.isEmpty() || scheduler != null;
    }
}
