package dev.apportion.core.stats;

import dev.apportion.core.rollout.Rollouts;

/**
 * Per-group count, sum, mean and variance of one value per member, computed in double with a
 * two-pass formula (as {@code torch.mean} / {@code torch.std} on a group's values).
 * Members whose value is NaN are skipped (TRL's {@code nanmean}/{@code nanstd} semantics);
 * a group with no finite member has count 0 and NaN mean.
 */
public final class GroupStats {
    private final int[] count;
    private final double[] sum;
    private final double[] mean;
    private final double[] m2; // Σ (x - mean)^2

    private GroupStats(int groups) {
        count = new int[groups];
        sum = new double[groups];
        mean = new double[groups];
        m2 = new double[groups];
    }

    /** Statistics of {@code values[i]} (one per trajectory) over the batch's groups. */
    public static GroupStats of(Rollouts batch, double[] values) {
        return of(values, batch.trajectoryGroups(), batch.groupCount());
    }

    /**
     * Statistics of {@code values[i]} grouped by {@code groupOf[i]} in {@code [0, groups)}.
     *
     * @param values read; NaN entries are skipped
     * @param groupOf read
     */
    public static GroupStats of(double[] values, int[] groupOf, int groups) {
        GroupStats s = new GroupStats(groups);
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (Double.isNaN(v)) continue;
            int g = groupOf[i];
            s.count[g]++;
            s.sum[g] += v;
        }
        for (int g = 0; g < groups; g++) s.mean[g] = s.count[g] == 0 ? Double.NaN : s.sum[g] / s.count[g];
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (Double.isNaN(v)) continue;
            double d = v - s.mean[groupOf[i]];
            s.m2[groupOf[i]] += d * d;
        }
        return s;
    }

    /**
     * Weighted statistics: mean {@code Σ w x / Σ w} per group (OPO's length-weighted baseline).
     * Only {@link #mean(int)}, {@link #sum(int)} (= Σ w x) and {@link #count(int)} are meaningful.
     */
    public static GroupStats weighted(double[] values, double[] weights, int[] groupOf, int groups) {
        GroupStats s = new GroupStats(groups);
        double[] wsum = new double[groups];
        for (int i = 0; i < values.length; i++) {
            int g = groupOf[i];
            s.count[g]++;
            s.sum[g] += weights[i] * values[i];
            wsum[g] += weights[i];
        }
        for (int g = 0; g < groups; g++) s.mean[g] = wsum[g] == 0 ? Double.NaN : s.sum[g] / wsum[g];
        return s;
    }

    public int groups() {
        return count.length;
    }

    public int count(int g) {
        return count[g];
    }

    public double sum(int g) {
        return sum[g];
    }

    public double mean(int g) {
        return mean[g];
    }

    /** Variance with divisor N−1 ({@code torch.std} default); NaN when count < 2. */
    public double unbiasedVariance(int g) {
        return count[g] < 2 ? Double.NaN : m2[g] / (count[g] - 1);
    }

    /** Variance with divisor N; NaN when count is 0. */
    public double populationVariance(int g) {
        return count[g] < 1 ? Double.NaN : m2[g] / count[g];
    }

    /** Standard deviation, unbiased or population. */
    public double std(int g, boolean unbiased) {
        return Math.sqrt(unbiased ? unbiasedVariance(g) : populationVariance(g));
    }
}
