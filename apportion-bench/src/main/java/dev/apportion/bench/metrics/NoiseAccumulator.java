package dev.apportion.bench.metrics;

import java.util.HashMap;
import java.util.Map;

/**
 * Credit noise across resampled batches: the share of the credit's variance that is not
 * explained by the decision (state and action) it was given to,
 * {@code Σ_k Σ_i (x_ki − mean_k)² / Σ_k Σ_i (x_ki − mean)²} over decisions {@code k} seen at
 * least twice (pooled over the batches of one seed and policy). 0 when credit is a function of
 * the decision (the oracle), about 1 for pure noise. NaN when the credit is constant. Not
 * thread-safe.
 */
public final class NoiseAccumulator {
    private final Map<Long, double[]> byKey = new HashMap<>();

    /** Adds one credit value given to decision {@code key}. */
    public void add(long key, double credit) {
        double[] a = byKey.computeIfAbsent(key, k -> new double[3]);
        a[0] += 1;
        a[1] += credit;
        a[2] += credit * credit;
    }

    /** The noise share (see class doc). */
    public double value() {
        double n = 0;
        double sum = 0;
        double sumsq = 0;
        double within = 0;
        for (double[] a : byKey.values()) {
            if (a[0] < 2) continue;
            n += a[0];
            sum += a[1];
            sumsq += a[2];
            within += Math.max(0, a[2] - a[1] * a[1] / a[0]);
        }
        if (n < 2) return Double.NaN;
        double total = sumsq - sum * sum / n;
        if (total <= 1e-12 * Math.max(1, sumsq)) return Double.NaN;
        return Math.min(1.0, within / total);
    }
}
