package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.stats.Whitening;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RepeatedSumTest {
    private static double loop(double s, double v, long count) {
        for (long c = 0; c < count; c++) s += v;
        return s;
    }

    private static void check(double s, double v, long count) {
        double want = loop(s, v, count);
        double got = RepeatedSum.add(s, v, count);
        assertEquals(
                Double.doubleToRawLongBits(want),
                Double.doubleToRawLongBits(got),
                () -> "s=" + s + " v=" + v + " count=" + count + ": loop " + want + ", closed form " + got);
    }

    @Test
    void equalsTheLoopOnRandomValues() {
        SplittableRandom r = new SplittableRandom(14);
        for (int k = 0; k < 20_000; k++) {
            double s = switch (k % 5) {
                case 0 -> 0.0;
                case 1 -> r.nextDouble(-10, 10);
                case 2 -> (float) r.nextDouble(-1, 1);
                case 3 -> r.nextDouble(-1e6, 1e6);
                default -> Math.scalb(r.nextDouble(-1, 1), r.nextInt(-60, 60));
            };
            double v = switch (k % 7) {
                case 0 -> (float) r.nextDouble(-1, 1);
                case 1 -> (float) r.nextDouble(0, 3);
                case 2 -> Math.scalb((double) (float) r.nextDouble(-1, 1), r.nextInt(-40, 5));
                case 3 -> r.nextDouble(-1e-3, 1e-3);
                case 4 -> Math.ulp(s) * (r.nextInt(7) - 3) / 2.0; // ties and exact multiples of the ulp
                case 5 -> -s / (1 + r.nextInt(50)); // walks through zero
                default -> r.nextDouble() * r.nextDouble();
            };
            long count = r.nextInt(3) == 0 ? r.nextInt(5) : r.nextInt(20_000);
            check(s, v, count);
        }
    }

    @Test
    void equalsTheLoopOnEdges() {
        double[] ss = {0.0, -0.0, 1.0, -1.0, 0x1p-1000, Double.MIN_VALUE, 1e300, Double.MAX_VALUE, 0.1, 3.0};
        double[] vs = {0.0, -0.0, 1.0, -1.0, 0x1p-53, 0x1p-54, 0x1p-52, 1e-17, Double.NaN, Double.POSITIVE_INFINITY};
        for (double s : ss) for (double v : vs) for (long c : new long[] {0, 1, 2, 3, 1000, 70_000}) check(s, v, c);
    }

    @Test
    void whiteningOfConstantRunsEqualsTheTokenWhitening() {
        SplittableRandom r = new SplittableRandom(8);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(40);
            float[] x = new float[n];
            int[] count = new int[n];
            int tokens = 0;
            for (int i = 0; i < n; i++) {
                x[i] = trial % 3 == 0 ? (float) r.nextInt(-2, 3) : (float) r.nextGaussian();
                count[i] = r.nextInt(4) == 0 ? 0 : r.nextInt(1, 5000);
                tokens += count[i] + 3;
            }
            count[0] = Math.max(count[0], 2);
            float[] values = new float[tokens];
            byte[] mask = new byte[tokens];
            int t = 0;
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < count[i]; c++, t++) {
                    values[t] = x[i];
                    mask[t] = 1;
                }
                t += 3; // context tokens between trajectories
            }
            Whitening.Variance var = trial % 2 == 0 ? Whitening.Variance.UNBIASED : Whitening.Variance.BIASED;
            Whitening.Epsilon eps = trial % 4 < 2 ? Whitening.Epsilon.ADD : Whitening.Epsilon.CLAMP;
            boolean shift = trial % 5 != 0;
            Whitening.Stats want = Whitening.whiten(values, mask, var, eps, 1e-8, shift, true);
            float[] y = new float[n];
            Whitening.Stats got = RepeatedSum.whitenConstantRuns(x, count, y, var, eps, 1e-8, shift, true);
            assertEquals(want, got);
            t = 0;
            for (int i = 0; i < n; i++) {
                if (count[i] > 0) assertEquals(Float.floatToRawIntBits(values[t]), Float.floatToRawIntBits(y[i]));
                t += count[i] + 3;
            }
        }
    }
}
