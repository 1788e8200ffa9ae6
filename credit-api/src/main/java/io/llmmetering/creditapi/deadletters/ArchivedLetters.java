package io.llmmetering.creditapi.deadletters;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * {@code credit_dead_letters_archived_total{topic, reason}}: every dead letter of the topology and of the appliers,
 * by reason, as archived, for the dashboard and the dead-letter alert. A reason is a header anyone producing to the
 * topic can write, so labels are bounded: a reason that is not a short snake_case word, or one beyond the first
 * {@value #MAX_REASONS}, counts as {@code other}.
 */
final class ArchivedLetters {

    static final int MAX_REASONS = 50;
    private static final Pattern REASON = Pattern.compile("[a-z][a-z0-9_]{0,39}");

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    ArchivedLetters(MeterRegistry registry, List<String> topics) {
        this.registry = registry;
        // the series exist from the start, so a dashboard shows zero rather than no data
        topics.forEach(topic -> counters.put(topic + "|other", counter(topic, "other")));
    }

    void count(List<DeadLetterArchive.Incoming> letters) {
        for (DeadLetterArchive.Incoming letter : letters) {
            String reason = letter.reason() != null && REASON.matcher(letter.reason()).matches() ? letter.reason() : "other";
            String key = letter.topic() + "|" + reason;
            Counter counter = counters.get(key);
            if (counter == null) {
                counter = counters.size() >= MAX_REASONS * 2 ? counter(letter.topic(), "other") : counters.computeIfAbsent(key, k -> counter(letter.topic(), reason));
            }
            counter.increment();
        }
    }

    private Counter counter(String topic, String reason) {
        return Counter.builder("credit.dead.letters.archived").tag("topic", topic).tag("reason", reason)
                .description("dead letters copied into the archive, by source topic and reason").register(registry);
    }
}
