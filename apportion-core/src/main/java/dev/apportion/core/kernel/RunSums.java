package dev.apportion.core.kernel;

/**
 * Sequential double sums of many runs of a float array, each in its own fixed order, computed
 * four runs at a time. A sequential sum is a chain of dependent additions (one addition latency
 * per element, a few cycles); the chains of different runs are independent, so advancing four
 * of them in one loop lets the processor overlap them. Each run's additions are exactly those of
 * the plain loop, in the same order, so the sums are bit for bit the same ({@code RunSumsTest}).
 */
public final class RunSums {
    private RunSums() {}

    /**
     * {@code out[k] = 0.0 + x[end[k]] + x[end[k] − 1] + … + x[end[k] − length[k] + 1]}, added in
     * that order (backwards from the run's last element), for {@code k < runs}.
     *
     * @param end index of each run's last element
     * @param length elements per run (0 gives 0.0)
     */
    public static void backward(float[] x, int[] end, int[] length, int runs, double[] out) {
        int k = 0;
        for (; k + 4 <= runs; k += 4) {
            int e0 = end[k];
            int e1 = end[k + 1];
            int e2 = end[k + 2];
            int e3 = end[k + 3];
            int l0 = length[k];
            int l1 = length[k + 1];
            int l2 = length[k + 2];
            int l3 = length[k + 3];
            int common = Math.min(Math.min(l0, l1), Math.min(l2, l3));
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            for (int q = 0; q < common; q++) {
                s0 += x[e0 - q];
                s1 += x[e1 - q];
                s2 += x[e2 - q];
                s3 += x[e3 - q];
            }
            out[k] = finish(x, e0, l0, common, s0);
            out[k + 1] = finish(x, e1, l1, common, s1);
            out[k + 2] = finish(x, e2, l2, common, s2);
            out[k + 3] = finish(x, e3, l3, common, s3);
        }
        for (; k < runs; k++) out[k] = finish(x, end[k], length[k], 0, 0.0);
    }

    /** Runs per block of {@link #backwardTouched}. */
    private static final int BLOCK_RUNS = 64;

    /** Widest token range (floats) one block of {@link #backwardTouched} reads in advance. */
    private static final int BLOCK_SPAN = 1 << 14;

    /** Receives the touched values, so that the loads of {@link #touch} are not removed. */
    @SuppressWarnings("unused")
    private static int touched;

    /**
     * {@link #backward}, bit for bit, for data that is not in the cache: the runs go in blocks
     * (up to 64 runs whose elements lie within 16,384 positions), and each block's range is first
     * read forwards, one element per 64-byte line. Short runs read backwards, four at a time, give
     * the hardware prefetchers nothing to follow; the forward pass does, and the sums then read
     * from the cache. Worth it when the runs are short and ascending (turns along a batch); any
     * order gives the same sums.
     */
    public static void backwardTouched(float[] x, int[] end, int[] length, int runs, double[] out) {
        int[] e = new int[BLOCK_RUNS];
        int[] l = new int[BLOCK_RUNS];
        double[] o = new double[BLOCK_RUNS];
        int seen = 0;
        for (int k = 0; k < runs; ) {
            int lo = Integer.MAX_VALUE;
            int hi = Integer.MIN_VALUE;
            int b = k;
            while (b < runs && b - k < BLOCK_RUNS) {
                if (length[b] > 0) {
                    int l2 = Math.min(lo, end[b] - length[b] + 1);
                    int h2 = Math.max(hi, end[b]);
                    if (b > k && (long) h2 - l2 > BLOCK_SPAN) break;
                    lo = l2;
                    hi = h2;
                }
                b++;
            }
            if (lo <= hi) seen |= touch(x, lo, hi);
            int c = b - k;
            System.arraycopy(end, k, e, 0, c);
            System.arraycopy(length, k, l, 0, c);
            backward(x, e, l, c, o);
            System.arraycopy(o, 0, out, k, c);
            k = b;
        }
        touched |= seen;
    }

    /** Reads {@code x[lo..hi]} forwards, one element per 16 (a 64-byte line), and the last. */
    private static int touch(float[] x, int lo, int hi) {
        int acc = 0;
        for (int i = lo; i < hi; i += 16) acc |= Float.floatToRawIntBits(x[i]);
        return acc | Float.floatToRawIntBits(x[hi]);
    }

    /** {@code s} plus the elements {@code from .. length − 1} of the run ending at {@code e}, backwards. */
    private static double finish(float[] x, int e, int length, int from, double s) {
        for (int q = from; q < length; q++) s += x[e - q];
        return s;
    }
}
