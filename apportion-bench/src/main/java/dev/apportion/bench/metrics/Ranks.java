package dev.apportion.bench.metrics;

import dev.apportion.core.stats.RankStatistics;

/**
 * Rank statistics on primitive arrays: average ranks with ties, Spearman rank correlation and
 * the area under the ROC curve (Mann–Whitney). Stateless; inputs are read, never written.
 */
public final class Ranks {
    private Ranks() {}

    /** 1-based ranks of {@code x[0..n)}, ties getting their average rank ({@link RankStatistics#midranks}). */
    public static double[] ranks(double[] x, int n) {
        return RankStatistics.midranks(x, n);
    }

    /**
     * Spearman rank correlation of {@code x} and {@code y} over the first {@code n} entries;
     * 0 when either is constant (no ranking information), NaN when {@code n < 2}.
     */
    public static double spearman(double[] x, double[] y, int n) {
        if (n < 2) return Double.NaN;
        return pearson(ranks(x, n), ranks(y, n), n);
    }

    /** Pearson correlation; 0 when either side is constant. */
    public static double pearson(double[] x, double[] y, int n) {
        double r = RankStatistics.pearson(x, y, n);
        return Double.isNaN(r) ? 0 : r;
    }

    /**
     * AUROC of scores {@code pos[0..np)} (positives) against {@code neg[0..nn)}: the probability
     * that a random positive scores above a random negative, ties counting ½. NaN when either
     * side is empty.
     */
    public static double auroc(double[] pos, int np, double[] neg, int nn) {
        return RankStatistics.auroc(pos, np, neg, nn);
    }
}
