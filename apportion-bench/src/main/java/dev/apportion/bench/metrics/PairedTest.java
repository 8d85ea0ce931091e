package dev.apportion.bench.metrics;

import java.util.Arrays;

/**
 * Two-sided paired t-test p-values and Holm's step-down correction (Holm 1979, "A simple
 * sequentially rejective multiple test procedure"). The Student-t tail uses the regularized
 * incomplete beta function, {@code p = I_{df/(df+t²)}(df/2, 1/2)}, evaluated by the modified
 * Lentz continued fraction (formulas as in standard numerical references; own code).
 */
public final class PairedTest {
    private PairedTest() {}

    /** Two-sided p-value that the mean of the paired differences {@code d} is 0 (NaN with fewer than 2 values). */
    public static double pValue(Summary d) {
        if (d.n() < 2 || Double.isNaN(d.sd())) return Double.NaN;
        if (d.sd() == 0) return d.mean() == 0 ? 1.0 : 0.0;
        double t = d.mean() / (d.sd() / Math.sqrt(d.n()));
        int df = d.n() - 1;
        return incompleteBeta(df / (df + t * t), df / 2.0, 0.5);
    }

    /** Holm-adjusted p-values (NaN stays NaN and does not count). */
    public static double[] holm(double[] p) {
        int n = p.length;
        Integer[] idx = new Integer[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            idx[i] = i;
            if (!Double.isNaN(p[i])) m++;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(Double.isNaN(p[a]) ? 2 : p[a], Double.isNaN(p[b]) ? 2 : p[b]));
        double[] out = new double[n];
        Arrays.fill(out, Double.NaN);
        double running = 0;
        for (int r = 0; r < m; r++) {
            int i = idx[r];
            running = Math.max(running, Math.min(1, (m - r) * p[i]));
            out[i] = running;
        }
        return out;
    }

    /** Regularized incomplete beta I_x(a, b). */
    static double incompleteBeta(double x, double a, double b) {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
        if (x < (a + 1) / (a + b + 2)) return Math.exp(lnFront) * fraction(x, a, b) / a;
        return 1 - Math.exp(lnFront) * fraction(1 - x, b, a) / b;
    }

    private static double fraction(double x, double a, double b) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        if (Math.abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 300; m++) {
            int m2 = 2 * m;
            double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + num * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + num / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + num * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + num / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-14) break;
        }
        return h;
    }

    /** Lanczos approximation of log Γ(x), x &gt; 0 (g = 7, n = 9 coefficients). */
    static double logGamma(double x) {
        double[] c = {
            0.99999999999980993,
            676.5203681218851,
            -1259.1392167224028,
            771.32342877765313,
            -176.61502916214059,
            12.507343278686905,
            -0.13857109526572012,
            9.9843695780195716e-6,
            1.5056327351493116e-7
        };
        if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        x -= 1;
        double s = c[0];
        for (int i = 1; i < 9; i++) s += c[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
    }
}
