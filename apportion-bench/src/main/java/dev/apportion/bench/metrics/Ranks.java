package dev.apportion.bench.metrics;

/**
 * Rank statistics on primitive arrays: average ranks with ties, Spearman rank correlation and
 * the area under the ROC curve (Mann–Whitney). Stateless; inputs are read, never written.
 */
public final class Ranks {
    private Ranks() {}

    /** 1-based ranks of {@code x[0..n)}, ties getting their average rank. */
    public static double[] ranks(double[] x, int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        sort(idx, x, n);
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i + 1;
            while (j < n && x[idx[j]] == x[idx[i]]) j++;
            double avg = (i + j + 1) / 2.0; // ranks i+1 .. j
            for (int k = i; k < j; k++) r[idx[k]] = avg;
            i = j;
        }
        return r;
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
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx <= 1e-300 || syy <= 1e-300) return 0;
        return sxy / Math.sqrt(sxx * syy);
    }

    /**
     * AUROC of scores {@code pos[0..np)} (positives) against {@code neg[0..nn)}: the probability
     * that a random positive scores above a random negative, ties counting ½. NaN when either
     * side is empty.
     */
    public static double auroc(double[] pos, int np, double[] neg, int nn) {
        if (np == 0 || nn == 0) return Double.NaN;
        double[] all = new double[np + nn];
        System.arraycopy(pos, 0, all, 0, np);
        System.arraycopy(neg, 0, all, np, nn);
        double[] r = ranks(all, np + nn);
        double sum = 0;
        for (int i = 0; i < np; i++) sum += r[i];
        return (sum - np * (np + 1) / 2.0) / ((double) np * nn);
    }

    private static void sort(int[] idx, double[] key, int n) {
        int[] tmp = new int[n];
        mergeSort(idx, tmp, key, 0, n);
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
