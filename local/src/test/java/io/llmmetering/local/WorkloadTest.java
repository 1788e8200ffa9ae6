package io.llmmetering.local;

import io.llmmetering.core.pricing.PriceBookReader;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The user mixes the benchmarks and the demo drive the system with: the same for a seed, skewed as documented. */
class WorkloadTest {

    private static final int USERS = 100_000;
    private static final int CALLS = 400_000;

    @Test
    void zipfAtOnePointOneGivesTheBusiestUserAboutASeventhOfTheCalls() {
        int[] calls = callsByUser(Workload.UserMix.zipf(1.1, USERS));
        assertThat((double) calls[0] / CALLS).isBetween(0.125, 0.145);
        assertThat(calls[0]).isGreaterThan(calls[1]).isGreaterThan(calls[9]);
        assertThat(shareOfTheFirstPercent(calls)).isBetween(0.73, 0.77);
    }

    @Test
    void theDefaultMixGivesTheFirstPercentOfUsersAboutASixthOfTheCalls() {
        assertThat(shareOfTheFirstPercent(callsByUser(Workload.UserMix.DEFAULT))).isBetween(0.15, 0.17);
    }

    @Test
    void everyUserIsInRangeAndASeedRepeatsTheSameCalls() {
        Workload first = new Workload("w", 1_000, 0.1, 7, PriceBookReader.defaultPriceBook(), Workload.UserMix.zipf(2, 1_000));
        Workload second = new Workload("w", 1_000, 0.1, 7, PriceBookReader.defaultPriceBook(), Workload.UserMix.zipf(2, 1_000));
        Workload.Call a = null;
        Workload.Call b = null;
        for (int i = 0; i < 10_000; i++) {
            a = first.next(a);
            b = second.next(b);
            assertThat(a).isEqualTo(b);
            assertThat(a.user()).isBetween(0, 999);
        }
    }

    @Test
    void anExponentOutsideItsRangeIsRefused() {
        assertThatThrownBy(() -> Workload.UserMix.zipf(0, USERS)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Workload.UserMix.zipf(Double.NaN, USERS)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Workload.UserMix.zipf(6, USERS)).isInstanceOf(IllegalArgumentException.class);
    }

    private static double shareOfTheFirstPercent(int[] calls) {
        long firstPercent = 0;
        for (int user = 0; user < USERS / 100; user++) {
            firstPercent += calls[user];
        }
        return (double) firstPercent / CALLS;
    }

    private static int[] callsByUser(Workload.UserMix mix) {
        Random random = new Random(42);
        int[] calls = new int[USERS];
        for (int i = 0; i < CALLS; i++) {
            calls[mix.next(random, USERS)]++;
        }
        return calls;
    }
}
