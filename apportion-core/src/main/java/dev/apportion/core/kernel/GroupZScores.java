package dev.apportion.core.kernel;

import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.GroupStats;

/**
 * Group z-scores: the group normalizations the estimators share, each on values keyed by a
 * statistics group (a prompt group, or a (prompt group, turn index) cell). The variants differ
 * where the references differ — what a group of one gets, unbiased or population variance, the
 * variance floor, the order of the sums — and each is named after its convention, so that two
 * estimators following the same reference share one kernel and stay bit-identical to it.
 * Entries whose value is NaN are not members of any statistics group and come out as NaN
 * (except in {@link #verl}, whose inputs are never NaN).
 */
public final class GroupZScores {
    /** The variance floor IGPO and A²TGPO put inside the square root. */
    public static final double POPULATION_VARIANCE_FLOOR = 1e-8;

    private GroupZScores() {}

    /**
     * IGPO's population z-score: {@code σ = sqrt(var_pop + 1e-8)}, σ = 1 for a statistics
     * group of one member; result {@code (x − μ)/(σ + ε)}, or {@code x − μ} without std.
     *
     * @param values read; NaN entries are skipped and stay NaN
     * @param key read, statistics group per entry in {@code [0, keys)}
     * @return a fresh array
     */
    public static double[] populationZ(double[] values, int[] key, int keys, double epsilon, boolean byStd) {
        GroupStats st = GroupStats.of(values, key, keys);
        double[] out = new double[values.length];
        for (int j = 0; j < values.length; j++) {
            if (Double.isNaN(values[j])) {
                out[j] = Double.NaN;
                continue;
            }
            int k = key[j];
            double d = values[j] - st.mean(k);
            if (byStd) {
                double sigma = st.count(k) <= 1 ? 1.0 : Math.sqrt(st.populationVariance(k) + POPULATION_VARIANCE_FLOOR);
                d /= sigma + epsilon;
            }
            out[j] = d;
        }
        return out;
    }

    /** Population standard deviation of the non-NaN entries, or NaN when there are none. */
    public static double populationStd(double[] values) {
        long n = 0;
        double sum = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                n++;
                sum += v;
            }
        }
        if (n == 0) return Double.NaN;
        double mean = sum / n;
        double ss = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) ss += (v - mean) * (v - mean);
        }
        return Math.sqrt(ss / n);
    }

    /** Number of non-NaN entries. */
    public static int count(double[] values) {
        int n = 0;
        for (double v : values) if (!Double.isNaN(v)) n++;
        return n;
    }

    /**
     * verl's GRPO on one score per trajectory: a group of one gets mean 0 and std 1, σ is the
     * unbiased ({@code torch.std}) standard deviation; result {@code (x − μ)/(σ + ε)}, or
     * {@code x − μ} without std.
     *
     * @param scores read
     * @return a fresh array of one advantage per trajectory
     */
    public static double[] verl(double[] scores, int[] groupOf, int groups, double eps, boolean byStd) {
        GroupStats st = GroupStats.of(scores, groupOf, groups);
        double[] out = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            int g = groupOf[i];
            double mean = st.count(g) == 1 ? 0.0 : st.mean(g);
            double std = st.count(g) == 1 ? 1.0 : Math.sqrt(st.unbiasedVariance(g));
            out[i] = byStd ? (scores[i] - mean) / (std + eps) : scores[i] - mean;
        }
        return out;
    }

    /**
     * Z-score of each value within its key: {@code (x − μ_k)/(σ_k + ε)}, or {@code x − μ_k}
     * when {@code byStd} is false; σ unbiased (N−1) or population (N). A key with a single
     * member gives 0 (the value is its own baseline). NaN values are left out of the
     * statistics and stay NaN.
     *
     * @param values read
     * @param key read, one key in {@code [0, keys)} per value
     * @return a fresh array
     */
    public static double[] zscore(
            double[] values, int[] key, int keys, boolean byStd, boolean unbiased, double epsilon) {
        GroupStats st = GroupStats.of(values, key, keys);
        // per key once: the mean and the divisor (the same doubles as computing them per value)
        double[] mean = new double[keys];
        double[] div = new double[keys];
        for (int k = 0; k < keys; k++) {
            if (st.count(k) <= 1) continue;
            mean[k] = st.mean(k);
            if (byStd) div[k] = st.std(k, unbiased) + epsilon;
        }
        double[] out = new double[values.length];
        for (int j = 0; j < values.length; j++) {
            if (Double.isNaN(values[j])) {
                out[j] = Double.NaN;
                continue;
            }
            int k = key[j];
            if (st.count(k) <= 1) continue;
            double d = values[j] - mean[k];
            if (byStd) d /= div[k];
            out[j] = d;
        }
        return out;
    }

    /**
     * Group z-scores of {@code scale·x} per trajectory over the batch's prompt groups, summed in
     * group-member order (0 for groups of one), as the reasoning-step references compute them.
     *
     * @param x read, one per trajectory
     * @return a fresh array, one per trajectory
     */
    public static double[] ofGroupMembers(Rollouts batch, double[] x, double scale, boolean unbiased, double eps) {
        int groups = batch.groupCount();
        int[] start = batch.groupMemberStart();
        int[] members = batch.groupMembers();
        double[] out = new double[x.length];
        for (int g = 0; g < groups; g++) {
            int m = start[g + 1] - start[g];
            if (m < 2) continue;
            double sum = 0;
            for (int j = start[g]; j < start[g + 1]; j++) sum += scale * x[members[j]];
            double mean = sum / m;
            double ss = 0;
            for (int j = start[g]; j < start[g + 1]; j++) {
                double d = scale * x[members[j]] - mean;
                ss += d * d;
            }
            double sd = Math.sqrt(ss / (unbiased ? m - 1 : m));
            for (int j = start[g]; j < start[g + 1]; j++) out[members[j]] = (scale * x[members[j]] - mean) / (sd + eps);
        }
        return out;
    }
}
