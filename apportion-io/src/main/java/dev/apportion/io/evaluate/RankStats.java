package dev.apportion.io.evaluate;

import java.util.Arrays;

/** Rank statistics with ties counted one half (midranks). Inputs are flat arrays; nothing is boxed. */
public final class RankStats {
    private RankStats() {}

    /**
     * AUROC of {@code score} separating positives from negatives: the probability that a random
     * positive scores above a random negative, a tie counting one half (the Mann–Whitney U
     * statistic over P·N, computed from midranks).
     *
     * @return NaN when there is no positive or no negative
     */
    public static double auroc(double[] pos, int np, double[] neg, int nn) {
        if (np == 0 || nn == 0) return Double.NaN;
        double[] all = new double[np + nn];
        System.arraycopy(pos, 0, all, 0, np);
        System.arraycopy(neg, 0, all, np, nn);
        double[] r = midranks(all, all.length);
        double sum = 0;
        for (int k = 0; k < np; k++) sum += r[k];
        double u = sum - np * (np + 1) / 2.0;
        return u / ((double) np * nn);
    }

    /** Spearman's rank correlation (Pearson on midranks); NaN when either side is constant or n < 2. */
    public static double spearman(double[] x, double[] y, int n) {
        if (n < 2) return Double.NaN;
        return pearson(midranks(x, n), midranks(y, n), n);
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

    /** 1-based ranks of the first {@code n} values, tied values sharing the mean of their ranks. */
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

    /** Indices 0..n-1 sorted by value (stable). */
    static int[] sortedOrder(double[] v, int n) {
        // sort (value, index) pairs packed as two arrays via an index sort on primitive keys
        double[] keys = Arrays.copyOf(v, n);
        int[] idx = new int[n];
        for (int k = 0; k < n; k++) idx[k] = k;
        mergeSort(keys, idx, new double[n], new int[n], 0, n);
        return idx;
    }

    private static void mergeSort(double[] k, int[] ix, double[] tk, int[] ti, int lo, int hi) {
        if (hi - lo < 2) return;
        if (hi - lo <= 16) {
            for (int a = lo + 1; a < hi; a++) {
                double kv = k[a];
                int iv = ix[a];
                int b = a - 1;
                while (b >= lo && k[b] > kv) {
                    k[b + 1] = k[b];
                    ix[b + 1] = ix[b];
                    b--;
                }
                k[b + 1] = kv;
                ix[b + 1] = iv;
            }
            return;
        }
        int mid = (lo + hi) >>> 1;
        mergeSort(k, ix, tk, ti, lo, mid);
        mergeSort(k, ix, tk, ti, mid, hi);
        int a = lo;
        int b = mid;
        int o = lo;
        while (a < mid && b < hi) {
            if (k[b] < k[a]) {
                tk[o] = k[b];
                ti[o++] = ix[b++];
            } else {
                tk[o] = k[a];
                ti[o++] = ix[a++];
            }
        }
        while (a < mid) {
            tk[o] = k[a];
            ti[o++] = ix[a++];
        }
        while (b < hi) {
            tk[o] = k[b];
            ti[o++] = ix[b++];
        }
        System.arraycopy(tk, lo, k, lo, hi - lo);
        System.arraycopy(ti, lo, ix, lo, hi - lo);
    }
}
