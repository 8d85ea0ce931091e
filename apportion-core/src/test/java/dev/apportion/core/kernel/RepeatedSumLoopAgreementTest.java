package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RepeatedSumLoopAgreementTest {
    private static double plain(double acc, double c, long n) {
        for (long i = 0; i < n; i++) acc += c;
        return acc;
    }

    private static void check(double acc, double c, long n) {
        long want = Double.doubleToRawLongBits(plain(acc, c, n));
        long got = Double.doubleToRawLongBits(RepeatedSum.add(acc, c, n));
        assertEquals(want, got, () -> "acc=" + acc + " c=" + c + " n=" + n);
    }

    @Test
    void equalsThePlainLoopOnRandomRuns() {
        SplittableRandom r = new SplittableRandom(20261207);
        for (int trial = 0; trial < 20_000; trial++) {
            double acc = switch (trial % 5) {
                case 0 -> 0.0;
                case 1 -> r.nextDouble(-1, 1);
                case 2 -> r.nextDouble(-1e6, 1e6);
                case 3 -> (float) r.nextDouble(-10, 10);
                default -> r.nextDouble() * Math.scalb(1.0, r.nextInt(-40, 40));
            };
            double c = switch (trial % 7) {
                case 0 -> (float) r.nextDouble(-1, 1); // a float advantage, widened
                case 1 -> r.nextDouble(-1, 1);
                case 2 -> {
                    double d = (float) r.nextDouble(-2, 2) - r.nextDouble(-1, 1);
                    yield d * d; // a squared deviation
                }
                case 3 -> Math.ulp(acc) * (r.nextInt(1, 9) + 0.5); // ties on the accumulator's grid
                case 4 -> r.nextDouble() * 1e-12;
                case 5 -> -acc / r.nextInt(1, 50); // runs that cross zero
                default -> Math.scalb(1.0, r.nextInt(-60, 10));
            };
            long n = r.nextInt(0, trial % 3 == 0 ? 20_000 : 300);
            check(acc, c, n);
        }
    }

    @Test
    void specialValues() {
        double[] vs = {
            0.0,
            -0.0,
            1.0,
            -1.0,
            Double.MIN_VALUE,
            Double.MIN_NORMAL,
            Double.MAX_VALUE,
            -Double.MAX_VALUE,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            Double.NaN,
            0.1,
            1e300,
            1e-300,
            3.0 * Math.ulp(1.0)
        };
        for (double a : vs) for (double c : vs) for (long n : new long[] {0, 1, 2, 3, 17, 1000}) check(a, c, n);
    }
}
