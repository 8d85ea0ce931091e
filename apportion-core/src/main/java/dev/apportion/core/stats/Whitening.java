package dev.apportion.core.stats;

/**
 * Batch whitening over masked tokens, token-weighted, as the frameworks do it after computing
 * token-level advantages.
 *
 * <ul>
 *   <li>verl {@code masked_whiten}: mean over mask, unbiased variance (×N/(N−1)),
 *       {@code (x−μ)·rsqrt(var + 1e-8)}; N of 0 or 1 is an error.</li>
 *   <li>OpenRLHF: biased variance, {@code rsqrt(clamp(var, min=1e-8))}.</li>
 * </ul>
 */
public final class Whitening {
    private Whitening() {}

    /** Variance divisor. */
    public enum Variance {
        UNBIASED,
        BIASED
    }

    /** Where epsilon enters. */
    public enum Epsilon {
        /** {@code rsqrt(var + eps)} (verl). */
        ADD,
        /** {@code rsqrt(max(var, eps))} (OpenRLHF). */
        CLAMP
    }

    /** Mean and variance found, for diagnostics. */
    public record Stats(long count, double mean, double variance, double scale) {}

    /**
     * Whitens {@code values} in place at positions where {@code mask != 0}; other positions are
     * left as they are (callers zero them).
     *
     * @param values read and written
     * @param mask read
     * @param shiftMean subtract the mean (false: only scale)
     * @param scale divide by the standard deviation (false: only shift)
     * @throws IllegalArgumentException when unbiased and fewer than 2 masked tokens
     */
    public static Stats whiten(
            float[] values,
            byte[] mask,
            Variance variance,
            Epsilon epsilon,
            double eps,
            boolean shiftMean,
            boolean scale) {
        long n = 0;
        double sum = 0;
        for (int t = 0; t < values.length; t++) {
            if (mask[t] != 0) {
                n++;
                sum += values[t];
            }
        }
        if (n == 0 || (variance == Variance.UNBIASED && n == 1)) {
            throw new IllegalArgumentException("batch whitening needs at least "
                    + (variance == Variance.UNBIASED ? 2 : 1) + " policy tokens, the batch has " + n);
        }
        double mean = sum / n;
        double ss = 0;
        for (int t = 0; t < values.length; t++) {
            if (mask[t] != 0) {
                double d = values[t] - mean;
                ss += d * d;
            }
        }
        double var = variance == Variance.UNBIASED ? ss / (n - 1) : ss / n;
        double denom = epsilon == Epsilon.ADD ? var + eps : Math.max(var, eps);
        double k = scale ? 1.0 / Math.sqrt(denom) : 1.0;
        double shift = shiftMean ? mean : 0.0;
        for (int t = 0; t < values.length; t++) {
            if (mask[t] != 0) values[t] = (float) ((values[t] - shift) * k);
        }
        return new Stats(n, mean, var, k);
    }
}
