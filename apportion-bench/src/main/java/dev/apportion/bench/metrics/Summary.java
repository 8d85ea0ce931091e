package dev.apportion.bench.metrics;

/**
 * Mean of per-seed values with a 95% Student-t interval. NaN values are skipped ({@link #n()}
 * counts the rest); with fewer than two values the interval is NaN.
 *
 * @param mean mean over seeds
 * @param sd sample standard deviation
 * @param n number of (non-NaN) seeds
 * @param lo lower end of the 95% interval
 * @param hi upper end of the 95% interval
 * @param perSeed the values, by seed index (NaN where a seed had none); read-only
 */
public record Summary(double mean, double sd, int n, double lo, double hi, double[] perSeed) {
    private static final double[] T975 = {
        Double.NaN,
        12.706,
        4.303,
        3.182,
        2.776,
        2.571,
        2.447,
        2.365,
        2.306,
        2.262,
        2.228,
        2.201,
        2.179,
        2.160,
        2.145,
        2.131,
        2.120,
        2.110,
        2.101,
        2.093,
        2.086,
        2.080,
        2.074,
        2.069,
        2.064,
        2.060,
        2.056,
        2.052,
        2.048,
        2.045,
        2.042
    };

    /** Summarises {@code values} (NaN skipped). */
    public static Summary of(double[] values) {
        int n = 0;
        double sum = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                n++;
                sum += v;
            }
        }
        if (n == 0) return new Summary(Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN, values.clone());
        double mean = sum / n;
        if (n == 1) return new Summary(mean, Double.NaN, 1, Double.NaN, Double.NaN, values.clone());
        double ss = 0;
        for (double v : values) if (!Double.isNaN(v)) ss += (v - mean) * (v - mean);
        double sd = Math.sqrt(ss / (n - 1));
        double half = t975(n - 1) * sd / Math.sqrt(n);
        return new Summary(mean, sd, n, mean - half, mean + half, values.clone());
    }

    /** The 97.5% quantile of Student's t with {@code df} degrees of freedom. */
    public static double t975(int df) {
        if (df < 1) return Double.NaN;
        if (df < T975.length) return T975[df];
        double z = 1.959963984540054;
        double z3 = z * z * z;
        double z5 = z3 * z * z;
        return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df);
    }

    /** True when the whole interval lies above 0. */
    public boolean above(double x) {
        return n >= 2 && lo > x;
    }

    /** True when the whole interval lies below 0. */
    public boolean below(double x) {
        return n >= 2 && hi < x;
    }
}
