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

    /** {@code s} plus the elements {@code from .. length − 1} of the run ending at {@code e}, backwards. */
    private static double finish(float[] x, int e, int length, int from, double s) {
        for (int q = from; q < length; q++) s += x[e - q];
        return s;
    }
}
