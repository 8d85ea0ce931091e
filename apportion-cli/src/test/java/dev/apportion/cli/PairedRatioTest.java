package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The 2-thread/1-thread comparison of {@code perf --all}: ratio of medians, paired bootstrap interval, verdict. */
class PairedRatioTest {
    private static double[][] pairs(double factor, double noise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] one = new double[21];
        double[] two = new double[21];
        for (int i = 0; i < one.length; i++) {
            double drift = 1 + 0.5 * Math.sin(i); // load drift hits both members of a pair alike
            one[i] = drift * (1 + noise * r.nextDouble());
            two[i] = drift * factor * (1 + noise * r.nextDouble());
        }
        return new double[][] {one, two};
    }

    @Test
    void verdictIsSlowerOnlyWhenTheWholeIntervalLiesAboveOne() {
        double[][] slow = pairs(1.5, 0.05, 1);
        PerfSuite.Paired p = PerfSuite.Paired.of(slow[0], slow[1], PerfSuite.BOOTSTRAP_SEED);
        assertTrue(p.low() > 1 && p.low() <= p.ratio() && p.ratio() <= p.high(), p::toString);
        assertEquals("slower", p.verdict());
        double[][] fast = pairs(0.6, 0.05, 2);
        assertEquals(
                "faster",
                PerfSuite.Paired.of(fast[0], fast[1], PerfSuite.BOOTSTRAP_SEED).verdict());
        double[][] same = pairs(1.0, 0.3, 3);
        PerfSuite.Paired s = PerfSuite.Paired.of(same[0], same[1], PerfSuite.BOOTSTRAP_SEED);
        assertTrue(s.low() <= 1 && s.high() >= 1, s::toString);
        assertEquals("same", s.verdict());
        assertEquals(21, s.pairs());
    }

    @Test
    void fixedSeedGivesTheSameInterval() {
        double[][] x = pairs(1.1, 0.2, 4);
        assertEquals(
                PerfSuite.Paired.of(x[0], x[1], PerfSuite.BOOTSTRAP_SEED),
                PerfSuite.Paired.of(x[0], x[1], PerfSuite.BOOTSTRAP_SEED));
    }

    @Test
    void quantileInterpolatesLinearly() {
        double[] v = {1, 2, 3, 4, 5};
        assertEquals(1.0, PerfSuite.Paired.quantile(v, 0));
        assertEquals(3.0, PerfSuite.Paired.quantile(v, 0.5));
        assertEquals(4.5, PerfSuite.Paired.quantile(v, 0.875));
        assertEquals(5.0, PerfSuite.Paired.quantile(v, 1));
    }
}
