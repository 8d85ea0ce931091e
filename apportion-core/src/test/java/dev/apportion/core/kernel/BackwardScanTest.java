package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackwardScanTest {
    private static final int[] LENGTHS = {1, 2, 7, 255, 256, 257, 263, 1000, 4099, 9000};
    private static final double[] FACTORS = {0, 0.3, 0.9405, 0.99, 0.999, 1};

    private static float[] terms(SplittableRandom r, int n) {
        float[] d = new float[n];
        // noise plus rare large rewards, as TD errors look
        for (int k = 0; k < n; k++) d[k] = (float) (r.nextDouble(-0.3, 0.3) + (r.nextInt(50) == 0 ? 1 : 0));
        return d;
    }

    private static double[] exact(float[] d, double c, double next) {
        double[] a = new double[d.length];
        double x = next;
        for (int k = d.length - 1; k >= 0; k--) {
            x = d[k] + c * x;
            a[k] = x;
        }
        return a;
    }

    /** The blocked recurrence equals the token-by-token double recursion to 1e-6 of the span's largest value. */
    @Test
    void blockedRecurrenceMatchesTheSequentialOne() {
        SplittableRandom r = new SplittableRandom(7);
        double worst = 0;
        for (int n : LENGTHS) {
            for (double c : FACTORS) {
                for (double next : new double[] {0, r.nextDouble(-3, 3)}) {
                    float[] d = terms(r, n);
                    double[] want = exact(d, c, next);
                    BackwardScan scan = new BackwardScan(BackwardScan.Powers.forSpans(c, n), n);
                    scan.beginTrajectory();
                    System.arraycopy(d, 0, scan.d, 0, n);
                    double first = scan.run(n, next, false);
                    double scale = Arrays.stream(want).map(Math::abs).max().orElseThrow();
                    assertEquals(want[0], first, 1e-12 * scale, "A_0 in double, n=" + n + " c=" + c);
                    for (int k = 0; k < n; k++) {
                        double err = Math.abs(scan.d[k] - want[k]) / scale;
                        worst = Math.max(worst, err);
                        if (err > 1e-6)
                            fail("n=" + n + " c=" + c + " token " + k + ": want " + want[k] + " got " + scan.d[k]);
                    }
                }
            }
        }
        // float rounding of the local values and of the fix-up: well below the bound above
        assertTrue(worst < 5e-7, "worst relative error " + worst);
    }

    @Test
    void returnsAreAdvantagesPlusValuesInFloat() {
        SplittableRandom r = new SplittableRandom(8);
        for (int n : LENGTHS) {
            float[] d = terms(r, n);
            float[] v = terms(r, n);
            BackwardScan scan = new BackwardScan(BackwardScan.Powers.forSpans(0.97, n), n);
            scan.beginTrajectory();
            System.arraycopy(d, 0, scan.d, 0, n);
            System.arraycopy(v, 0, scan.v, 0, n);
            scan.run(n, 0.25, true);
            for (int k = 0; k < n; k++) assertEquals(scan.d[k] + v[k], scan.v[k], 0f, "n=" + n + " token " + k);
        }
    }

    /** Shifted sums of the float advantages, over several spans of one trajectory. */
    @Test
    void whiteningSumsMatchADirectComputation() {
        SplittableRandom r = new SplittableRandom(9);
        int[] spans = {3000, 5, 700, 256};
        BackwardScan scan = new BackwardScan(BackwardScan.Powers.forSpans(0.95, 3000), 3000);
        scan.beginTrajectory();
        double next = 0;
        float[][] outs = new float[spans.length][];
        for (int s = 0; s < spans.length; s++) {
            float[] d = terms(r, spans[s]);
            System.arraycopy(d, 0, scan.d, 0, d.length);
            next = scan.run(d.length, next, false);
            outs[s] = Arrays.copyOf(scan.d, d.length);
        }
        double shift = scan.shift();
        double s1 = 0;
        double s2 = 0;
        double abs = 0;
        int count = 0;
        for (float[] o : outs) {
            for (float a : o) {
                double x = a - shift;
                s1 += x;
                s2 += x * x;
                abs += Math.abs(x);
                count++;
            }
        }
        assertEquals(count, scan.count());
        assertEquals(s1, scan.sum1(), 1e-6 * abs);
        assertEquals(s2, scan.sum2(), 1e-6 * s2);
        // the shift is near the mean, so the shifted sums do not cancel
        assertTrue(Math.abs(s1 / count) < Math.sqrt(s2 / count), "shift " + shift + " far from the mean");
    }

    /** The result of a span depends on its data only: not on what the scratch held before, nor on prefetching. */
    @Test
    void resultsDoNotDependOnScratchStateOrPrefetching() {
        SplittableRandom r = new SplittableRandom(10);
        float[] d = terms(r, 2000);
        float[] v = terms(r, 2000);
        BackwardScan fresh = new BackwardScan(BackwardScan.Powers.forSpans(0.9, 5000), 5000);
        fresh.beginTrajectory();
        System.arraycopy(d, 0, fresh.d, 0, d.length);
        System.arraycopy(v, 0, fresh.v, 0, v.length);
        double a = fresh.run(d.length, 0.5, true);

        BackwardScan used = new BackwardScan(BackwardScan.Powers.forSpans(0.9, 5000), 5000);
        float[] junk = terms(r, 5000);
        used.beginTrajectory();
        System.arraycopy(junk, 0, used.d, 0, junk.length);
        System.arraycopy(junk, 0, used.v, 0, junk.length);
        used.run(junk.length, 3, true);
        used.prefetch(junk, junk, junk, junk, 100, 4000);
        used.beginTrajectory();
        System.arraycopy(d, 0, used.d, 0, d.length);
        System.arraycopy(v, 0, used.v, 0, v.length);
        double b = used.run(d.length, 0.5, true);

        assertEquals(a, b, 0.0);
        assertArrayEquals(Arrays.copyOf(fresh.d, d.length), Arrays.copyOf(used.d, d.length));
        assertArrayEquals(Arrays.copyOf(fresh.v, d.length), Arrays.copyOf(used.v, d.length));
        assertEquals(fresh.sum1(), used.sum1(), 0.0);
        assertEquals(fresh.sum2(), used.sum2(), 0.0);
    }

    /** A small factor over long blocks (powers underflow) and a huge carried value. */
    @Test
    void smallFactorsAndHugeCarries() {
        SplittableRandom r = new SplittableRandom(11);
        for (double next : new double[] {1e30, -3e37}) {
            float[] d = terms(r, 12000);
            double[] want = exact(d, 0.5, next);
            BackwardScan scan = new BackwardScan(BackwardScan.Powers.forSpans(0.5, 12000), 12000);
            scan.beginTrajectory();
            System.arraycopy(d, 0, scan.d, 0, d.length);
            scan.run(d.length, next, false);
            for (int k = 0; k < d.length; k++) {
                assertEquals(want[k], scan.d[k], 1e-6 * (Math.abs(want[k]) + 1), "carry " + next + ", token " + k);
            }
        }
    }

    /** TD errors in float as the references compute them; the span's last token uses the carried value in double. */
    @Test
    void temporalDifferencesAreTheReferenceFloatExpression() {
        SplittableRandom r = new SplittableRandom(12);
        int n = 3000;
        float[] rew = terms(r, n + 10);
        float[] val = terms(r, n + 10);
        BackwardScan scan = new BackwardScan(BackwardScan.Powers.forSpans(0.9, n), n);
        double gamma = 0.99;
        float gf = (float) gamma;
        double nextV = 0.123456789;
        scan.loadTd(rew, val, 5, n, gamma, nextV);
        for (int k = 0; k < n - 1; k++) {
            int t = 5 + k;
            assertEquals(rew[t] + gf * val[t + 1] - val[t], scan.d[k], 0f, "token " + k);
            assertEquals(val[t], scan.v[k], 0f);
        }
        assertEquals((float) (rew[n + 4] + gamma * nextV - val[n + 4]), scan.d[n - 1], 0f);
        scan.loadTd(null, val, 5, n, gamma, nextV);
        assertEquals(gf * val[6] - val[5], scan.d[0], 0f);
        assertEquals((float) (gamma * nextV - val[n + 4]), scan.d[n - 1], 0f);
    }
}
