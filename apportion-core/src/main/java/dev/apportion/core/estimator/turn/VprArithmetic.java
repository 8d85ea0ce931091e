package dev.apportion.core.estimator.turn;

import dev.apportion.core.kernel.NumpySum;

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
        @Override
        double round(double x) {
            return x;
        }

        @Override
        double add(double a, double b) {
            return a + b;
        }

        @Override
        double sub(double a, double b) {
            return a - b;
        }

        @Override
        double mul(double a, double b) {
            return a * b;
        }

        @Override
        double div(double a, double b) {
            return a / b;
        }

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
        @Override
        double round(double x) {
            return (float) x;
        }

        @Override
        double add(double a, double b) {
            return (float) a + (float) b;
        }

        @Override
        double sub(double a, double b) {
            return (float) a - (float) b;
        }

        @Override
        double mul(double a, double b) {
            return (float) a * (float) b;
        }

        @Override
        double div(double a, double b) {
            return (float) a / (float) b;
        }

        @Override
        double mean(double[] v, int[] idx, int n) {
            float[] x = new float[n];
            for (int q = 0; q < n; q++) x[q] = (float) v[idx[q]];
            return NumpySum.of(x, 0, n) / n;
        }

        @Override
        double std(double[] v, int[] idx, int n) {
            float m = (float) mean(v, idx, n);
            float[] x = new float[n];
            for (int q = 0; q < n; q++) {
                float d = (float) v[idx[q]] - m;
                x[q] = d * d;
            }
            float var = NumpySum.of(x, 0, n) / n;
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
}
