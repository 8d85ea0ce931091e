package dev.apportion.core.kernel;

import java.util.Arrays;

/**
 * Exact Levenshtein distance (unit insert, delete and substitute costs) between sequences of
 * small non-negative integer symbols, for callers that compare many pairs: strings or tokens
 * are interned to dense ids first, so that a comparison is an {@code int} test instead of
 * {@code String.equals}.
 *
 * <p>The distance is an integer and every exact algorithm gives the same one, so the choice is
 * free: a common prefix and suffix are stripped first (they never change the distance: an
 * optimal alignment can always match them), then, when the shorter rest has at most 64
 * symbols, Myers' bit-parallel algorithm in Hyyrö's formulation for the global distance (one
 * pass over the longer rest, a few word operations per symbol: G. Myers, "A fast bit-vector
 * algorithm for approximate string matching based on dynamic programming", J. ACM 46(3), 1999;
 * H. Hyyrö, "Explaining and extending the bit-parallel approximate string matching algorithm of
 * Myers", 2001); otherwise the two-row dynamic programme. {@code EditDistanceTest} compares
 * both paths with the plain dynamic programme on random sequences.
 *
 * <p>An instance holds the per-symbol match masks as scratch and is not thread-safe; use one per
 * thread (or per unit of work).
 */
public final class EditDistance {
    private long[] peq = new long[64];
    private int[] prev = new int[0];
    private int[] cur = new int[0];

    /** A scratch for distances between sequences of symbols in {@code [0, 2^31)}. */
    public EditDistance() {}

    /**
     * The Levenshtein distance of {@code a} and {@code b}.
     *
     * @param a symbols, each {@code >= 0}
     * @param b symbols, each {@code >= 0}
     */
    public int distance(int[] a, int[] b) {
        return distance(a, 0, a.length, b, 0, b.length);
    }

    /**
     * The Levenshtein distance of {@code a[aFrom, aTo)} and {@code b[bFrom, bTo)} (the two may be
     * runs of one array).
     *
     * @param a symbols, each {@code >= 0}
     * @param b symbols, each {@code >= 0}
     */
    public int distance(int[] a, int aFrom, int aTo, int[] b, int bFrom, int bTo) {
        int as = aFrom;
        int bs = bFrom;
        int ae = aTo;
        int be = bTo;
        while (as < ae && bs < be && a[as] == b[bs]) {
            as++;
            bs++;
        }
        while (ae > as && be > bs && a[ae - 1] == b[be - 1]) {
            ae--;
            be--;
        }
        int la = ae - as;
        int lb = be - bs;
        if (la == 0) return lb;
        if (lb == 0) return la;
        // pattern = the shorter rest, text = the longer
        if (la <= lb) return la <= 64 ? myers(a, as, ae, b, bs, be) : table(a, as, ae, b, bs, be);
        return lb <= 64 ? myers(b, bs, be, a, as, ae) : table(b, bs, be, a, as, ae);
    }

    /** Myers/Hyyrö global edit distance of pattern {@code x[xs, xe)} (1..64 symbols) and text {@code y[ys, ye)}. */
    private int myers(int[] x, int xs, int xe, int[] y, int ys, int ye) {
        int m = xe - xs;
        for (int i = xs; i < xe; i++) {
            int c = x[i];
            if (c >= peq.length) peq = Arrays.copyOf(peq, Math.max(c + 1, 2 * peq.length));
            peq[c] |= 1L << (i - xs);
        }
        long pv = -1L;
        long mv = 0L;
        long high = 1L << (m - 1);
        int score = m;
        for (int j = ys; j < ye; j++) {
            int c = y[j];
            long eq = c < peq.length ? peq[c] : 0L;
            long xv = eq | mv;
            long xh = (((eq & pv) + pv) ^ pv) | eq;
            long ph = mv | ~(xh | pv);
            long mh = pv & xh;
            if ((ph & high) != 0) score++;
            else if ((mh & high) != 0) score--;
            ph = (ph << 1) | 1L; // the top row of the global table grows by one per text symbol
            mh <<= 1;
            pv = mh | ~(xv | ph);
            mv = ph & xv;
        }
        for (int i = xs; i < xe; i++) peq[x[i]] = 0L;
        return score;
    }

    /** The two-row dynamic programme over {@code x[xs, xe)} and {@code y[ys, ye)}. */
    private int table(int[] x, int xs, int xe, int[] y, int ys, int ye) {
        int n = ye - ys;
        if (prev.length < n + 1) {
            prev = new int[n + 1];
            cur = new int[n + 1];
        }
        int[] pr = prev;
        int[] cu = cur;
        for (int j = 0; j <= n; j++) pr[j] = j;
        for (int i = xs; i < xe; i++) {
            cu[0] = i - xs + 1;
            int xi = x[i];
            for (int j = 1; j <= n; j++) {
                int cost = xi == y[ys + j - 1] ? 0 : 1;
                cu[j] = Math.min(Math.min(pr[j] + 1, cu[j - 1] + 1), pr[j - 1] + cost);
            }
            int[] t = pr;
            pr = cu;
            cu = t;
        }
        return pr[n];
    }
}
