package dev.apportion.core.stats;

/**
 * Rank statistics on flat arrays, shared by the benchmark's credit metrics, {@code evaluate} /
 * {@code compare} and the language-model experiment: midranks (ties share the mean of their
 * ranks), Pearson and Spearman correlation, and AUROC as the Mann–Whitney U statistic over P·N.
 * Nothing is boxed; inputs are read, never written. Degenerate inputs give NaN here; callers that
 * report a constant side as "no ranking information" map NaN to 0 themselves.
 */
public final class RankStatistics {
    private RankStatistics() {}

    /** 1-based ranks of {@code v[0..n)}, tied values sharing the mean of their ranks. */
    public static double[] midranks(double[] v, int n) {
        int[] order = sortedOrder(v, n);
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && v[order[j + 1]] == v[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) r[order[k]] = rank;
            i = j + 1;
        }
        return r;
    }

    /** Pearson correlation of the first {@code n} entries; NaN when either side is constant. */
    public static double pearson(double[] x, double[] y, int n) {
        double mx = 0;
        double my = 0;
        for (int k = 0; k < n; k++) {
            mx += x[k];
            my += y[k];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int k = 0; k < n; k++) {
            double dx = x[k] - mx;
            double dy = y[k] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) return Double.NaN;
        return sxy / Math.sqrt(sxx * syy);
    }

    /** Spearman's rank correlation (Pearson on midranks); NaN when n &lt; 2 or either side is constant. */
    public static double spearman(double[] x, double[] y, int n) {
        if (n < 2) return Double.NaN;
        return pearson(midranks(x, n), midranks(y, n), n);
    }

    /**
     * AUROC of scores {@code pos[0..np)} against {@code neg[0..nn)}: the probability that a random
     * positive scores above a random negative, a tie counting one half. NaN when either side is empty.
     */
    public static double auroc(double[] pos, int np, double[] neg, int nn) {
        if (np == 0 || nn == 0) return Double.NaN;
        double[] all = new double[np + nn];
        System.arraycopy(pos, 0, all, 0, np);
        System.arraycopy(neg, 0, all, np, nn);
        double[] r = midranks(all, all.length);
        double sum = 0;
        for (int k = 0; k < np; k++) sum += r[k];
        return (sum - np * (np + 1) / 2.0) / ((double) np * nn);
    }

    /** Indices 0..n-1 ordered by value, stable (equal values keep their index order). */
    static int[] sortedOrder(double[] v, int n) {
        int[] idx = new int[n];
        for (int k = 0; k < n; k++) idx[k] = k;
        mergeSort(idx, new int[n], v, 0, n);
        return idx;
    }

    private static void mergeSort(int[] a, int[] tmp, double[] key, int lo, int hi) {
        if (hi - lo < 16) {
            for (int i = lo + 1; i < hi; i++) {
                int v = a[i];
                int j = i - 1;
                while (j >= lo && key[a[j]] > key[v]) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = v;
            }
            return;
        }
        int mid = (lo + hi) >>> 1;
        mergeSort(a, tmp, key, lo, mid);
        mergeSort(a, tmp, key, mid, hi);
        if (key[a[mid - 1]] <= key[a[mid]]) return;
        System.arraycopy(a, lo, tmp, lo, hi - lo);
        int i = lo;
        int j = mid;
        for (int k = lo; k < hi; k++) {
            if (j >= hi || (i < mid && key[tmp[i]] <= key[tmp[j]])) a[k] = tmp[i++];
            else a[k] = tmp[j++];
        }
    }
}
