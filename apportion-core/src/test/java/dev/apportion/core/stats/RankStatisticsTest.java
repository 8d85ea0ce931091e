package dev.apportion.core.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RankStatisticsTest {
    @Test
    void tiesShareTheMeanOfTheirRanks() {
        assertArrayEquals(new double[] {2.5, 1, 2.5, 4}, RankStatistics.midranks(new double[] {0.5, -1, 0.5, 3}, 4), 0);
    }

    @Test
    void midranksOfALongArrayMatchCountingBelowAndEqual() {
        // exercises the merge (more than 16 values) against the definition rank = #below + (#equal + 1) / 2
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 200;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(30);
        double[] r = RankStatistics.midranks(v, n);
        for (int i = 0; i < n; i++) {
            int below = 0;
            int equal = 0;
            for (int j = 0; j < n; j++) {
                if (v[j] < v[i]) below++;
                else if (v[j] == v[i]) equal++;
            }
            assertEquals(below + (equal + 1) / 2.0, r[i], 0, "index " + i);
        }
    }

    @Test
    void spearmanIsOneForMonotoneAndNanForConstant() {
        assertEquals(1.0, RankStatistics.spearman(new double[] {1, 2, 3}, new double[] {10, 20, 300}, 3), 1e-15);
        assertEquals(-1.0, RankStatistics.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1}, 3), 1e-15);
        assertTrue(Double.isNaN(RankStatistics.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3}, 3)));
        assertTrue(Double.isNaN(RankStatistics.spearman(new double[] {1}, new double[] {1}, 1)));
    }

    @Test
    void aurocCountsTiesAsOneHalf() {
        // pairs (pos, neg): (2,1) win, (2,2) tie, (1,1) tie, (1,2) loss -> (1 + 0.5 + 0.5) / 4
        assertEquals(0.5, RankStatistics.auroc(new double[] {2, 1}, 2, new double[] {1, 2}, 2), 1e-15);
        assertEquals(1.0, RankStatistics.auroc(new double[] {3, 4}, 2, new double[] {1, 2}, 2), 1e-15);
        assertTrue(Double.isNaN(RankStatistics.auroc(new double[0], 0, new double[] {1}, 1)));
    }
}
