package dev.apportion.core.kernel;

/**
 * NumPy's {@code sum} of a contiguous run of values, in NumPy's order: a plain loop below 8
 * values, 8 interleaved partial sums up to 128 values, and above that the two halves (the first
 * rounded down to a multiple of 8) summed recursively. References that normalize by a NumPy sum
 * round exactly as these do; a left-to-right loop does not.
 *
 * <p>Two precisions, as NumPy has them: float64 with a double accumulator and float32 with a
 * float accumulator (NumPy does not widen a float32 sum).
 */
public final class NumpySum {
    private NumpySum() {}

    /** {@code numpy.sum} of {@code a[from .. from+n)} for float64. */
    public static double of(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += a[from + i];
            return res;
        }
        if (n <= 128) {
            double[] r = new double[8];
            System.arraycopy(a, from, r, 0, 8);
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) r[j] += a[from + i + j];
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[from + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return of(a, from, n2) + of(a, from + n2, n - n2);
    }

    /** {@code numpy.sum} of {@code a[from .. from+n)} for float32 (float accumulators). */
    public static float of(float[] a, int from, int n) {
        if (n < 8) {
            float res = 0f;
            for (int i = 0; i < n; i++) res += a[from + i];
            return res;
        }
        if (n <= 128) {
            float[] r = new float[8];
            System.arraycopy(a, from, r, 0, 8);
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) r[j] += a[from + i + j];
            }
            float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[from + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return of(a, from, n2) + of(a, from + n2, n - n2);
    }
}
