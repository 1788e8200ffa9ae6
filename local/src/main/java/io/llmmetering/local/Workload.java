package io.llmmetering.local;

import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.TokenUsage;

import java.util.List;
import java.util.Random;

/**
 * Realistic proxy traffic, the same for every benchmark given the same seed: a skewed user mix (a few users make
 * most calls), a skewed model mix, prompt and completion sizes of chat calls, mostly the balanced power level, a
 * share of retried duplicates and about one invalid event in a thousand. It also knows what each unique valid
 * event must cost at the free tier, which is what every invariant check compares against. The local demo and
 * the benchmark harness both drive the system with it.
 */
public final class Workload {

    /** @param valid false for an event the topology must dead-letter (an unknown model) */
    public record Call(String eventId, int user, String model, long inputTokens, long outputTokens, String powerLevel, long costNanos,
                boolean valid, boolean duplicate) {
    }

    private final String name;
    private final int users;
    private final double duplicateRate;
    private final Random random;
    private final List<PricedModel> models;
    private final CostCalculator calculator;
    private long next;

    /**
     * @param name          prefix of every user id and event id, so a run's rows can be found among others
     * @param duplicateRate the probability that a call is a retry of the previous one (not money)
     */
    public Workload(String name, int users, double duplicateRate, long seed, PriceBook book) {
        this.name = name;
        this.users = users;
        this.duplicateRate = duplicateRate;
        this.random = new Random(seed);
        this.models = book.models().stream().sorted(java.util.Comparator.comparing(PricedModel::model)).toList();
        this.calculator = new CostCalculator(book);
    }

    public String userId(int user) {
        return userPrefix() + user;
    }

    public String userPrefix() {
        return name + "-u";
    }

    public String eventPrefix() {
        return name + "-e";
    }

    /** The next call; a duplicate repeats the previous valid call's event id and content. */
    public Call next(Call previous) {
        if (previous != null && previous.valid() && !previous.duplicate() && random.nextDouble() < duplicateRate) {
            return new Call(previous.eventId(), previous.user(), previous.model(), previous.inputTokens(), previous.outputTokens(),
                    previous.powerLevel(), previous.costNanos(), true, true);
        }
        long index = next++;
        int user = (int) Math.floor(users * Math.pow(random.nextDouble(), 2.5));
        PricedModel model = models.get((int) Math.floor(models.size() * Math.pow(random.nextDouble(), 1.8)));
        long input = 50 + random.nextInt(4_000);
        long output = random.nextInt(1_200);
        String power = switch (random.nextInt(10)) {
            case 0 -> "eco";
            case 1 -> "precision";
            default -> "balanced";
        };
        String id = eventPrefix() + index;
        if (index % 1000 == 999) {
            return new Call(id, user, "no-such-model", input, output, power, 0, false, false); // dead-lettered by the topology
        }
        long cost = calculator.costOfUsage(model.model(), TokenUsage.of(input, output), power, "free").nanos();
        return new Call(id, user, model.model(), input, output, power, cost, true, false);
    }
}
