package io.llmmetering.testsupport;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Seeded mutations of a valid payload, for the fuzz tests of every service: bytes flipped, cut, duplicated and
 * inserted, values swapped for hostile ones (huge exponents, NaN, injections, control characters, long text),
 * deep nesting, any code point. The seed is printed first, so a failure replays with {@code -Dfuzz.seed}.
 * {@code -Dfuzz.payloads} sets how many payloads a run sends (the {@code fuzz} profile: 100,000).
 */
public final class PayloadMutator {

    private static final String STRUCTURAL = "\"\\{}[],:";
    private static final List<String> HOSTILE = List.of("-1", "1e309", "NaN", "null", "true", "\"\"", "[]", "{}", "\"x\"",
            "99999999999999999999999999", "-0", "0.5", "1e-1000000000", "1E+2147483647", "-1e-50000000", "0.0000000001",
            "\"'; DROP TABLE usage_events; --\"", "\"\\u0000\"", "\"\\ud800\"", "\"用户🙂\"", "\"../../etc/passwd\"",
            "\"2026-13-45T25:61:00Z\"", "\"" + "a".repeat(5000) + "\"", "{\"$gt\":\"\"}", "[" + "1,".repeat(500) + "1]");

    private final long seed;
    private final Map<Integer, AtomicLong> answers = new TreeMap<>();

    private PayloadMutator(long seed) {
        this.seed = seed;
    }

    /** From {@code -Dfuzz.seed}, else a fresh seed; printed either way. */
    public static PayloadMutator fromSystemProperty(String name) {
        String given = System.getProperty("fuzz.seed");
        long seed = given == null ? System.nanoTime() : Long.parseLong(given);
        System.out.println("[fuzz] " + name + " seed " + seed + " (replay with -Dfuzz.seed=" + seed + ")");
        return new PayloadMutator(seed);
    }

    /** How many payloads this run sends: {@code -Dfuzz.payloads}, else {@code ciDefault}. */
    public static int payloads(int ciDefault) {
        return Integer.getInteger("fuzz.payloads", ciDefault);
    }

    public long seed() {
        return seed;
    }

    /** Payload {@code index}'s own randomness: any one payload of a run replays alone, whatever order they were sent in. */
    public Random payload(int index) {
        return new Random(seed + index * 0x9E3779B97F4A7C15L);
    }

    /**
     * Runs {@code send} for payloads 0 to {@code payloads - 1} on {@code threads} threads and rethrows the first
     * failure, naming its payload.
     */
    public void run(int payloads, int threads, PayloadSender send) throws InterruptedException {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            pool.execute(() -> {
                for (int i = next.getAndIncrement(); i < payloads && failure.get() == null; i = next.getAndIncrement()) {
                    try {
                        send.send(i);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, new AssertionError("seed " + seed + ", payload " + i + ": " + e.getMessage(), e));
                    }
                }
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(2, java.util.concurrent.TimeUnit.HOURS)) {
            throw new AssertionError("fuzz run did not finish within 2 hours");
        }
        if (failure.get() instanceof AssertionError error) {
            throw error;
        }
    }

    @FunctionalInterface
    public interface PayloadSender {
        void send(int index) throws Exception;
    }

    /** One to three random mutations of the sample. */
    public static String mutate(String sample, Random random) {
        StringBuilder text = new StringBuilder(sample);
        for (int n = 1 + random.nextInt(3); n > 0 && text.length() > 0; n--) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(8)) {
                case 0 -> text.setCharAt(at, (char) (32 + random.nextInt(95)));                  // flip a character
                case 1 -> text.setLength(at);                                                    // cut
                case 2 -> text.insert(at, text.substring(at, Math.min(text.length(), at + 1 + random.nextInt(40)))); // duplicate a stretch
                case 3 -> text.insert(at, STRUCTURAL.charAt(random.nextInt(STRUCTURAL.length())));  // a structural character
                case 4 -> {                                                                     // a value swapped for a hostile one
                    int colon = text.indexOf(":", at);
                    int end = colon < 0 ? -1 : nextDelimiter(text, colon + 1);
                    if (end > colon && colon >= 0) {
                        text.replace(colon + 1, end, HOSTILE.get(random.nextInt(HOSTILE.size())));
                    }
                }
                case 5 -> text.insert(at, "[".repeat(200 + random.nextInt(2000)));               // deep nesting
                case 6 -> text.insert(at, new String(new char[]{(char) random.nextInt(0x3000)})); // any code point
                default -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(20))); // delete a stretch
            }
        }
        return text.toString();
    }

    /**
     * A mutated query string, percent-encoded where a URI needs it: the server sees the mutated text decoded,
     * hostile values included, instead of the client refusing to send it.
     */
    public static String mutateQuery(String query, Random random) {
        String mutated = random.nextInt(4) == 0
                ? query.replaceFirst("=[^&]*", java.util.regex.Matcher.quoteReplacement("=" + HOSTILE.get(random.nextInt(HOSTILE.size())).replace("\"", "")))
                : mutate(query, random);
        StringBuilder encoded = new StringBuilder();
        for (byte b : mutated.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~&=".indexOf(c) >= 0) {
                encoded.append(c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return encoded.toString();
    }

    /** Counts an answer for the run's summary. */
    public void answered(int status) {
        synchronized (answers) {
            answers.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }
    }

    /** {@code status=count} per status, the line RELIABILITY.md records. */
    public String summary() {
        synchronized (answers) {
            long total = answers.values().stream().mapToLong(AtomicLong::get).sum();
            StringBuilder line = new StringBuilder(String.format("%,d payloads, answers by status:", total));
            answers.forEach((status, count) -> line.append(' ').append(status).append('=').append(String.format("%,d", count.get())));
            return line.toString();
        }
    }

    private static int nextDelimiter(CharSequence text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',' || c == '}' || c == ']') {
                return i;
            }
        }
        return -1;
    }
}
