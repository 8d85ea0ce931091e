package dev.apportion.bench.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RanksTest {
    @Test
    void averageRanksWithTies() {
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Ranks.ranks(new double[] {-3, 0, 0, 7}, 4));
        assertArrayEquals(new double[] {3, 1, 2}, Ranks.ranks(new double[] {5, 1, 2}, 3));
    }

    @Test
    void spearmanKnownValues() {
        double[] x = {1, 2, 3, 4, 5};
        assertEquals(1.0, Ranks.spearman(x, new double[] {10, 20, 30, 40, 1000}, 5), 1e-12);
        assertEquals(-1.0, Ranks.spearman(x, new double[] {5, 4, 3, 2, 1}, 5), 1e-12);
        // scipy.stats.spearmanr([1,2,3,4,5],[2,1,4,3,5]) = 0.8
        assertEquals(0.8, Ranks.spearman(x, new double[] {2, 1, 4, 3, 5}, 5), 1e-12);
        // with ties: spearmanr([1,2,2,3],[1,3,2,4]) = 0.9486832980505138
        assertEquals(
                0.9486832980505138, Ranks.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 4}, 4), 1e-12);
        assertEquals(0.0, Ranks.spearman(x, new double[] {1, 1, 1, 1, 1}, 5), "constant side carries no ranking");
        assertTrue(Double.isNaN(Ranks.spearman(x, x, 1)));
    }

    @Test
    void spearmanOnLargeInputsMatchesSortedOrder() {
        int n = 1000;
        double[] x = new double[n];
        double[] y = new double[n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble();
            y[i] = Math.exp(3 * x[i]); // monotone transform
        }
        assertEquals(1.0, Ranks.spearman(x, y, n), 1e-12);
    }

    @Test
    void aurocKnownValues() {
        assertEquals(1.0, Ranks.auroc(new double[] {3, 4}, 2, new double[] {1, 2}, 2), 1e-12);
        assertEquals(0.0, Ranks.auroc(new double[] {1}, 1, new double[] {2, 3}, 2), 1e-12);
        assertEquals(0.5, Ranks.auroc(new double[] {1, 1}, 2, new double[] {1, 1, 1}, 3), 1e-12);
        // pos {0.9, 0.4}, neg {0.5, 0.1}: pairs won 3 of 4
        assertEquals(0.75, Ranks.auroc(new double[] {0.9, 0.4}, 2, new double[] {0.5, 0.1}, 2), 1e-12);
        assertTrue(Double.isNaN(Ranks.auroc(new double[0], 0, new double[] {1}, 1)));
    }

    @Test
    void summaryStudentInterval() {
        Summary s = Summary.of(new double[] {1, 2, 3, 4, Double.NaN});
        assertEquals(4, s.n());
        assertEquals(2.5, s.mean(), 1e-12);
        assertEquals(Math.sqrt(5.0 / 3), s.sd(), 1e-12);
        double half = 3.182 * Math.sqrt(5.0 / 3) / 2;
        assertEquals(2.5 - half, s.lo(), 1e-9);
        assertEquals(2.5 + half, s.hi(), 1e-9);
        assertTrue(Double.isNaN(Summary.of(new double[] {1}).lo()));
        assertEquals(1.96, Summary.t975(10_000), 1e-3);
        assertEquals(2.042, Summary.t975(30), 1e-12);
        assertTrue(Summary.t975(31) < 2.042 && Summary.t975(31) > 2.03);
    }

    @Test
    void noiseShareIsZeroForAFunctionOfTheDecisionAndNearOneForNoise() {
        NoiseAccumulator exact = new NoiseAccumulator();
        NoiseAccumulator noise = new NoiseAccumulator();
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        for (int rep = 0; rep < 200; rep++) {
            for (long k = 0; k < 10; k++) {
                exact.add(k, k * 0.1);
                noise.add(k, r.nextGaussian());
            }
        }
        assertEquals(0.0, exact.value(), 1e-9);
        assertTrue(noise.value() > 0.9, "noise share " + noise.value());
    }
}
