package dev.apportion.core.estimator.turn;

/**
 * The arithmetic of {@link VprEstimator}: plain double precision, or an emulation of the
 * reference's NumPy float32 computation (every stored value rounded to float32, sums in
 * float32 by NumPy's pairwise summation, {@code mean = sum/n}, population {@code std} as
 * {@code sqrt(sum((x − mean)²)/n)}, a Python float operand converted to float32 as NumPy 2
 * does). The float32 mode exists to reproduce the reference's rounding artefacts, such as a
 * group of six rewards 0.3 whose float32 std (3e-8) exceeds {@code eps = 1e-8}.
 *
 * <p>Statistics are over {@code v[idx[0..n)]}, in that order.
 */
enum VprArithmetic {
    DOUBLE {
        @Override double round(double x) { return x; }
        @Override double add(double a, double b) { return a + b; }
        @Override double sub(double a, double b) { return a - b; }
        @Override double mul(double a, double b) { return a * b; }
        @Override double div(double a, double b) { return a / b; }

        @Override
        double mean(double[] v, int[] idx, int n) {
            double s = 0.0;
            for (int q = 0; q < n; q++) s += v[idx[q]];
            return s / n;
        }

        @Override
        double std(double[] v, int[] idx, int n) {
            double m = mean(v, idx, n);
            double ss = 0.0;
            for (int q = 0; q < n; q++) {
                double d = v[idx[q]] - m;
                ss += d * d;
            }
            return Math.sqrt(ss / n);
        }
    },
    NUMPY_FLOAT32 {
        @Override double round(double x) { return (float) x; }
        @Override double add(double a, double b) { return (float) a + (float) b; }
        @Override double sub(double a, double b) { return (float) a - (float) b; }
        @Override double mul(double a, double b) { return (float) a * (float) b; }
        @Override double div(double a, double b) { return (float) a / (float) b; }

        @Override
        double mean(double[] v, int[] idx, int n) {
            float[] x = new float[n];
            for (int q = 0; q < n; q++) x[q] = (float) v[idx[q]];
            return pairwiseSum(x, 0, n) / n;
        }

        @Override
        double std(double[] v, int[] idx, int n) {
            float m = (float) mean(v, idx, n);
            float[] x = new float[n];
            for (int q = 0; q < n; q++) {
                float d = (float) v[idx[q]] - m;
                x[q] = d * d;
            }
            float var = pairwiseSum(x, 0, n) / n;
            return (float) Math.sqrt(var);
        }
    };

    /** The value as this arithmetic stores it. */
    abstract double round(double x);

    abstract double add(double a, double b);

    abstract double sub(double a, double b);

    abstract double mul(double a, double b);

    abstract double div(double a, double b);

    /** Mean of {@code v[idx[0..n)]}, {@code n ≥ 1}. */
    abstract double mean(double[] v, int[] idx, int n);

    /** Population standard deviation of {@code v[idx[0..n)]}, {@code n ≥ 1}. */
    abstract double std(double[] v, int[] idx, int n);

    /**
     * NumPy's float32 {@code sum}: pairwise summation with float32 accumulators (a plain loop
     * below 8 values, 8 interleaved partial sums up to 128, halves above).
     */
    static float pairwiseSum(float[] a, int from, int n) {
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
        return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
    }
}
