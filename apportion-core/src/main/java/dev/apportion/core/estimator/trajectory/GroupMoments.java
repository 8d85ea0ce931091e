package dev.apportion.core.estimator.trajectory;

/**
 * Count, mean and variance of the values of one group's members (NaN values are skipped), in
 * one of the two ways the reference frameworks compute them:
 *
 * <ul>
 *   <li>{@link #twoPass}: double precision, mean first, then the sum of squared deviations (as
 *       {@code torch.mean}/{@code torch.std} on a group's tensor, up to float32 rounding);</li>
 *   <li>{@link #singlePassF32}: float32, {@code var = (Σx² − (Σx)²/n) / d} accumulated in member
 *       order (verl's {@code group_mean_std}, used by {@code grpo_vectorized}).</li>
 * </ul>
 *
 * <p>When every present value is identical the group is <em>tied</em>: the mean is that value
 * exactly and the variance 0, so that tied groups give exactly zero advantage whatever the
 * rounding (the references reach exact zero on the dyadic values of their test vectors; a
 * single-pass float32 sum can leave a residue of order 1e-8 on other values, which we drop).
 * Instances are mutable scratch objects owned by one thread.
 */
final class GroupMoments {
    int count;
    double mean;
    /** Variance with the requested divisor; NaN when undefined (unbiased with count &lt; 2, or count 0). */
    double variance;

    boolean tied;

    /**
     * Moments of {@code values[members[k]]} for {@code k} in {@code [from, to)} in double
     * precision with two passes.
     *
     * @param values read; NaN entries are skipped
     * @param members read
     * @param unbiased divisor {@code n − 1} (else {@code n})
     */
    GroupMoments twoPass(double[] values, int[] members, int from, int to, boolean unbiased) {
        int n = 0;
        double sum = 0;
        double first = Double.NaN;
        boolean allSame = true;
        for (int k = from; k < to; k++) {
            double v = values[members == null ? k : members[k]];
            if (Double.isNaN(v)) continue;
            if (n == 0) first = v;
            else if (v != first) allSame = false;
            n++;
            sum += v;
        }
        count = n;
        tied = n > 0 && allSame;
        if (n == 0) {
            mean = Double.NaN;
            variance = Double.NaN;
            return this;
        }
        if (tied) {
            mean = first;
            variance = unbiased && n < 2 ? Double.NaN : 0.0;
            return this;
        }
        mean = sum / n;
        double ss = 0;
        for (int k = from; k < to; k++) {
            double v = values[members == null ? k : members[k]];
            if (Double.isNaN(v)) continue;
            double d = v - mean;
            ss += d * d;
        }
        variance = unbiased ? (n < 2 ? Double.NaN : ss / (n - 1)) : ss / n;
        return this;
    }

    /**
     * Moments in float32 with one pass over the members in order, as verl's
     * {@code group_mean_std}: {@code mean = s1/n}, {@code var = (s2 − s1²/n) / max(n − 1, 1)}
     * (unbiased) or {@code / n} (population). The variance may come out slightly negative from
     * cancellation; callers floor it.
     */
    GroupMoments singlePassF32(double[] values, int[] members, int from, int to, boolean unbiased) {
        int n = 0;
        float s1 = 0f;
        float s2 = 0f;
        float first = Float.NaN;
        boolean allSame = true;
        for (int k = from; k < to; k++) {
            double d = values[members == null ? k : members[k]];
            if (Double.isNaN(d)) continue;
            float v = (float) d;
            if (n == 0) first = v;
            else if (v != first) allSame = false;
            n++;
            s1 += v;
            s2 += v * v;
        }
        count = n;
        tied = n > 0 && allSame;
        if (n == 0) {
            mean = Double.NaN;
            variance = Double.NaN;
            return this;
        }
        if (tied) {
            mean = first;
            variance = 0.0;
            return this;
        }
        float cnt = n;
        mean = s1 / cnt;
        float num = s2 - (s1 * s1) / cnt;
        variance = num / (unbiased ? Math.max(cnt - 1f, 1f) : cnt);
        return this;
    }
}
