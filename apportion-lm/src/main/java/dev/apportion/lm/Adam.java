package dev.apportion.lm;

/**
 * Adam on a flat parameter array (Kingma and Ba, "Adam: A Method for Stochastic
 * Optimization", ICLR 2015), with bias correction and optional clipping of the gradient's global
 * L2 norm before the update (as in most RLHF trainers).
 */
public final class Adam {
    private final float[] m;
    private final float[] v;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double maxNorm;
    private int t;

    /**
     * @param size number of parameters
     * @param maxNorm clip the gradient to this global L2 norm (≤ 0: no clipping)
     */
    public Adam(int size, double maxNorm) {
        this(size, 0.9, 0.999, 1e-8, maxNorm);
    }

    public Adam(int size, double beta1, double beta2, double eps, double maxNorm) {
        m = new float[size];
        v = new float[size];
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.maxNorm = maxNorm;
    }

    /**
     * One update of {@code w} with gradient {@code g} and learning rate {@code lr}.
     *
     * @return the gradient's global L2 norm before clipping (non-finite: the update was skipped)
     */
    public double step(float[] w, float[] g, double lr) {
        double sq = 0;
        for (float x : g) sq += (double) x * x;
        double norm = Math.sqrt(sq);
        // a non-finite gradient (an overflow somewhere in the batch) is skipped, as verl's
        // actor does, instead of writing NaN into every weight and the moments
        if (!Double.isFinite(norm)) return norm;
        double scale = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1.0;
        t++;
        double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
        double step = lr * Math.sqrt(c2) / c1;
        for (int k = 0; k < w.length; k++) {
            double gk = g[k] * scale;
            m[k] = (float) (beta1 * m[k] + (1 - beta1) * gk);
            v[k] = (float) (beta2 * v[k] + (1 - beta2) * gk * gk);
            w[k] -= (float) (step * m[k] / (Math.sqrt(v[k]) + eps));
        }
        return norm;
    }
}
