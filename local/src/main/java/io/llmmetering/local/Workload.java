package io.llmmetering.local;

import io.llmmetering.core.pricing.CostCalculator;
import io.llmmetering.core.pricing.PricedModel;
import io.llmmetering.core.pricing.PriceBook;
import io.llmmetering.core.pricing.TokenUsage;

import java.util.List;
import java.util.Random;

/**
 * Realistic proxy traffic, the same for every benchmark given the same seed: a skewed user mix (a few users make
 * most calls; {@link UserMix}), a skewed model mix, prompt and completion sizes of chat calls, mostly the balanced power level, a
 * share of retried duplicates and about one invalid event in a thousand. It also knows what each unique valid
 * event must cost at the free tier, which is what every invariant check compares against. The local demo and
 * the benchmark harness both drive the system with it.
 */
public final class Workload {

    /** @param valid false for an event the topology must dead-letter (an unknown model) */
    public record Call(String eventId, int user, String model, long inputTokens, long outputTokens, String powerLevel, long costNanos,
                boolean valid, boolean duplicate) {
    }

    /**
     * Which user makes a call. {@link #DEFAULT}: user {@code floor(N * u^2.5)} for a uniform {@code u}, so the first
     * 1 % of users make about 16 % of the calls and the busiest 1 % of its user's share. {@link #zipf}: the user of
     * rank {@code k} makes calls in proportion to {@code 1 / k^exponent}, the shape of real traffic where a few agents
     * and batch jobs make most calls: at 1.1 over 100,000 users the busiest user makes 13.5 % of them and the first
     * 1 % of users 75 %.
     */
    public sealed interface UserMix {

        UserMix DEFAULT = new PowerOfUniform(2.5);

        static UserMix zipf(double exponent, int users) {
            return new Zipf(exponent, users);
        }

        /** The user of the next call, 0 to users - 1. */
        int next(Random random, int users);

        /** How to say it in a benchmark's figures. */
        String describe();
    }

    record PowerOfUniform(double power) implements UserMix {
        @Override
        public int next(Random random, int users) {
            return (int) Math.floor(users * Math.pow(random.nextDouble(), power));
        }

        @Override
        public String describe() {
            return "users * u^" + power;
        }
    }

    /** Zipf by its cumulative distribution, searched: one array of the users' cumulative shares. */
    static final class Zipf implements UserMix {
        private final double exponent;
        private final double[] cumulative;

        Zipf(double exponent, int users) {
            if (!(exponent > 0 && exponent <= 5)) {
                throw new IllegalArgumentException("a Zipf exponent must be above 0 and at most 5, was " + exponent);
            }
            this.exponent = exponent;
            this.cumulative = new double[users];
            double sum = 0;
            for (int rank = 1; rank <= users; rank++) {
                sum += 1 / Math.pow(rank, exponent);
                cumulative[rank - 1] = sum;
            }
            for (int i = 0; i < users; i++) {
                cumulative[i] /= sum;
            }
        }

        @Override
        public int next(Random random, int users) {
            int found = java.util.Arrays.binarySearch(cumulative, random.nextDouble());
            return Math.min(found >= 0 ? found : -found - 1, cumulative.length - 1);
        }

        @Override
        public String describe() {
            return "zipf " + exponent;
        }
    }

    private final String name;
    private final int users;
    private final UserMix userMix;
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
        this(name, users, duplicateRate, seed, book, UserMix.DEFAULT);
    }

    public Workload(String name, int users, double duplicateRate, long seed, PriceBook book, UserMix userMix) {
        this.name = name;
        this.users = users;
        this.userMix = userMix;
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
        int user = userMix.next(random, users);
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
