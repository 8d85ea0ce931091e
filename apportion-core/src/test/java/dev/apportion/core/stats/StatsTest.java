package dev.apportion.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Execution;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void groupStatsTwoPassUnbiasedAndPopulation() {
        // groups: [1,0,0] [1] [.5,.5] as in verl's GRPO example
        GroupStats s = GroupStats.of(new double[] {1, 0, 0, 1, 0.5, 0.5}, new int[] {0, 0, 0, 1, 2, 2}, 3);
        assertEquals(1.0 / 3, s.mean(0), 1e-12);
        assertEquals(Math.sqrt(1.0 / 3), s.std(0, true), 1e-12);
        assertEquals(Math.sqrt(2.0 / 9), s.std(0, false), 1e-12);
        assertTrue(Double.isNaN(s.unbiasedVariance(1)));
        assertEquals(0, s.populationVariance(1));
        assertEquals(0, s.std(2, true));
        assertEquals(2, s.count(2));
    }

    @Test
    void groupStatsSkipsNaN() {
        GroupStats s = GroupStats.of(new double[] {1, Double.NaN, 3}, new int[] {0, 0, 0}, 1);
        assertEquals(2, s.count(0));
        assertEquals(2, s.mean(0));
        GroupStats e = GroupStats.of(new double[] {Double.NaN}, new int[] {0}, 1);
        assertEquals(0, e.count(0));
        assertTrue(Double.isNaN(e.mean(0)));
    }

    @Test
    void weightedMean() {
        GroupStats s = GroupStats.weighted(new double[] {1, 0}, new double[] {3, 1}, new int[] {0, 0}, 1);
        assertEquals(0.75, s.mean(0), 1e-12);
    }

    @Test
    void whiteningVerlAndOpenRlhf() {
        float[] v = {1, 2, 3, 100};
        byte[] m = {1, 1, 1, 0};
        Whitening.Stats st =
                Whitening.whiten(v, m, Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, 1e-8, true, true);
        assertEquals(2, st.mean(), 1e-12);
        assertEquals(1, st.variance(), 1e-12);
        assertEquals(-1, v[0], 1e-6);
        assertEquals(1, v[2], 1e-6);
        assertEquals(100, v[3]);
        float[] w = {1, 3};
        Whitening.whiten(w, new byte[] {1, 1}, Whitening.Variance.BIASED, Whitening.Epsilon.CLAMP, 1e-8, true, true);
        assertEquals(-1, w[0], 1e-6);
        float[] tiny = {0, 1e-5f};
        Whitening.whiten(tiny, new byte[] {1, 1}, Whitening.Variance.BIASED, Whitening.Epsilon.CLAMP, 1e-8, true, true);
        // var = 2.5e-11 < 1e-8 clamp: scale 1e4
        assertEquals(-0.05, tiny[0], 1e-6);
        assertThrows(
                IllegalArgumentException.class,
                () -> Whitening.whiten(
                        new float[] {1},
                        new byte[] {1},
                        Whitening.Variance.UNBIASED,
                        Whitening.Epsilon.ADD,
                        1e-8,
                        true,
                        true));
    }

    @Test
    void klEstimators() {
        assertEquals(0.5, KlPenalty.estimate(KlPenalty.Kind.K1, -1, -1.5), 1e-12);
        assertEquals(0.125, KlPenalty.estimate(KlPenalty.Kind.K2, -1, -1.5), 1e-12);
        assertEquals(Math.exp(-0.5) - 1 + 0.5, KlPenalty.estimate(KlPenalty.Kind.K3, -1, -1.5), 1e-12);
        float[] out = {1, 1};
        KlPenalty.addPenalty(
                KlPenalty.Kind.K1, 0.1, 10, new float[] {0, 50}, new float[] {-1, 0}, new byte[] {1, 1}, out);
        assertEquals(0.9, out[0], 1e-6);
        assertEquals(0.0, out[1], 1e-6); // clamped at 10
    }

    @Test
    void executionCoversEveryIndexOnce() {
        try (Execution ex = Execution.threads(2)) {
            AtomicIntegerArray seen = new AtomicIntegerArray(10_000);
            ex.forRange(10_000, 100, (c, from, to) -> {
                for (int i = from; i < to; i++) seen.incrementAndGet(i);
            });
            for (int i = 0; i < 10_000; i++) assertEquals(1, seen.get(i));
            assertEquals(2, ex.chunks(10_000, 100));
            assertEquals(1, ex.chunks(150, 100));
        }
    }
}
