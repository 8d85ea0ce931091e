package dev.apportion.core.estimator.turn;

import dev.apportion.core.stats.GroupStats;

/**
 * The group normalizations of the turn-level references, each on values keyed by a
 * statistics group (a prompt group, or a (prompt group, turn index) cell). Entries whose value
 * is NaN are not members of any statistics group and come out as NaN.
 */
final class TurnStatistics {
    /** The variance floor IGPO and A²TGPO put inside the square root. */
    static final double POPULATION_VARIANCE_FLOOR = 1e-8;

    private TurnStatistics() {
    }

    /**
     * IGPO's population z-score: {@code σ = sqrt(var_pop + 1e-8)}, σ = 1 for a statistics
     * group of one member; result {@code (x − μ)/(σ + ε)}, or {@code x − μ} without std.
     *
     * @param values read; NaN entries are skipped and stay NaN
     * @param key read, statistics group per entry in {@code [0, keys)}
     * @return a fresh array
     */
    static double[] populationZ(double[] values, int[] key, int keys, double epsilon, boolean byStd) {
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
    static double populationStd(double[] values) {
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
    static int count(double[] values) {
        int n = 0;
        for (double v : values) if (!Double.isNaN(v)) n++;
        return n;
    }
}
