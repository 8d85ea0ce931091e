package dev.apportion.core.kernel;

import dev.apportion.core.stats.Whitening;

/**
 * Sequential double sums in which one value repeats many times, computed bit for bit as the
 * token loop computes them but in time independent of the repeat count; and, built on it, the
 * batch whitening of values that are constant on each trajectory's policy tokens (the
 * trajectory-level estimators that whiten a broadcast score).
 *
 * <h2>Why it is exact</h2>
 * Let {@code a > 0} lie in the binade {@code [2^e, 2^(e+1))}, where doubles are the multiples of
 * {@code u = ulp(a)}. When the exact sum {@code a + w} also lies in that binade, round-to-nearest
 * gives the multiple of {@code u} nearest to {@code a + w}, which is {@code a + r} with {@code r}
 * the multiple of {@code u} nearest to {@code w} (unless {@code w} is exactly half-way between
 * two multiples, a tie whose outcome depends on {@code a}'s last bit). So inside a binade, and
 * away from ties, {@code k} successive additions of {@code w} add exactly {@code k·r}: the sum
 * advances by whole binades in one step each, and every step near a binade edge, at zero, on a tie
 * or on a subnormal is done as the plain addition. Negative sums use the symmetry of rounding.
 * A repeated sum thus costs O(binades crossed) instead of O(count); {@code RepeatedSumTest}
 * checks it against the plain loop on random and adversarial inputs.
 */
public final class RepeatedSum {
    private RepeatedSum() {}

    /**
     * {@code s} after {@code for (long c = 0; c < count; c++) s += v;}, bit for bit.
     *
     * @param count number of additions (nothing happens when {@code count <= 0})
     */
    public static double add(double s, double v, long count) {
        if (count <= 0) return s;
        if (v == 0 || !Double.isFinite(v) || !Double.isFinite(s)) return s + v; // a fixed point after one step
        while (count > 0) {
            boolean neg = s < 0;
            double a = neg ? -s : s;
            double w = neg ? -v : v;
            if (a < 0x1p-1000 || a > 0x1p1000) { // zero, subnormal or huge: the plain step
                s += v;
                count--;
                continue;
            }
            // the binade [lo, 2·lo) of a and its ulp u are powers of two read off a's exponent bits (the
            // values Math.scalb and Math.ulp give); w / u is exact, and so is w times 1/u where 1/u is a
            // normal double (a ≥ 2^-970), which saves a division
            long exponent = Double.doubleToRawLongBits(a) & EXPONENT_BITS;
            double lo = Double.longBitsToDouble(exponent);
            double u;
            double q;
            if (exponent >= NORMAL_ULP) {
                u = Double.longBitsToDouble(exponent - ULP_SHIFT);
                q = w * Double.longBitsToDouble(INVERSE_ULP - exponent);
            } else {
                u = Math.ulp(a);
                q = w / u;
            }
            double hi = 2 * lo;
            double rq = Math.rint(q);
            if (!(Math.abs(q) < 0x1p50) || Math.abs(q - rq) == 0.5) {
                s = plain(s, v, Math.min(count, PLAIN_STEPS));
                count -= Math.min(count, PLAIN_STEPS);
                continue;
            }
            double r = rq * u;
            double next = a + w;
            if (!(next >= lo + 2 * u && next <= hi - 2 * u)) { // the step leaves the binade's interior
                s = plain(s, v, Math.min(count, PLAIN_STEPS));
                count -= Math.min(count, PLAIN_STEPS);
                continue;
            }
            if (rq == 0) return s; // every remaining addition rounds back to s
            // steps j = 0 .. k-1 keep a + j·r + w inside [lo + 2u, hi - 2u] (with a margin of steps)
            double distance = rq > 0 ? hi - 2 * u - w - a : a + w - lo - 2 * u;
            double step = rq > 0 ? r : -r;
            long k;
            if ((count + 5.0) * step <= distance * 0.999999) {
                // then room = distance / step exceeds count + 5 by more than the rounding of this test, so
                // floor(room − 4 − room·1e-12) ≥ count: every remaining step fits, without the division
                k = count;
            } else {
                double room = distance / step;
                k = (long) Math.floor(room - 4 - room * 1e-12);
                if (k <= 0) {
                    s = plain(s, v, Math.min(count, PLAIN_STEPS));
                    count -= Math.min(count, PLAIN_STEPS);
                    continue;
                }
                k = Math.min(k, count);
            }
            a += k * r; // exact: k·rq < 2^53 and the result is a multiple of u inside the binade
            s = neg ? -a : a;
            count -= k;
        }
        return s;
    }

    /** The exponent field of a double. */
    private static final long EXPONENT_BITS = 0x7FF0_0000_0000_0000L;

    /** Exponent field of 2^-970, the least binade whose ulp (2^-1022) is a normal double. */
    private static final long NORMAL_ULP = 53L << 52;

    /** ulp(2^e) = 2^(e−52): the exponent field less 52. */
    private static final long ULP_SHIFT = 52L << 52;

    /** 1 / ulp(2^e) = 2^(52−e): exponent field 2098 − (e + 1023), i.e. this constant less a's field. */
    private static final long INVERSE_ULP = 2098L << 52;

    /**
     * Plain additions done in a row where the closed form does not apply (near a binade edge, on a
     * tie, with a large addend) before the closed form is tried again: one at a time, each such step
     * paid for the whole set-up of the closed form.
     */
    private static final long PLAIN_STEPS = 4;

    /** {@code s} after {@code steps} plain additions of {@code v}. */
    private static double plain(double s, double v, long steps) {
        for (long c = 0; c < steps; c++) s += v;
        return s;
    }

    /**
     * {@link Whitening#whiten} of a token array that holds {@code x[i]} on each of the
     * {@code count[i]} policy (mask) tokens of trajectory {@code i}, trajectories in token order:
     * the same statistics and, per trajectory, the value each of its policy tokens would hold
     * afterwards, without touching the tokens.
     *
     * @param x read, one float value per trajectory
     * @param count read, policy tokens per trajectory
     * @param whitened written, one per trajectory: {@code (float) ((x[i] − shift) · k)}
     * @throws IllegalArgumentException with {@link Whitening#whiten}'s message when there are too few policy tokens
     */
    public static Whitening.Stats whitenConstantRuns(
            float[] x,
            int[] count,
            float[] whitened,
            Whitening.Variance variance,
            Whitening.Epsilon epsilon,
            double eps,
            boolean shiftMean,
            boolean scale) {
        long n = 0;
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            n += count[i];
            sum = add(sum, x[i], count[i]);
        }
        if (n == 0 || (variance == Whitening.Variance.UNBIASED && n == 1)) {
            throw new IllegalArgumentException("batch whitening needs at least "
                    + (variance == Whitening.Variance.UNBIASED ? 2 : 1) + " policy tokens, the batch has " + n);
        }
        double mean = sum / n;
        double ss = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - mean;
            ss = add(ss, d * d, count[i]);
        }
        double var = variance == Whitening.Variance.UNBIASED ? ss / (n - 1) : ss / n;
        double denom = epsilon == Whitening.Epsilon.ADD ? var + eps : Math.max(var, eps);
        double k = scale ? 1.0 / Math.sqrt(denom) : 1.0;
        double shift = shiftMean ? mean : 0.0;
        for (int i = 0; i < x.length; i++) whitened[i] = (float) ((x[i] - shift) * k);
        return new Whitening.Stats(n, mean, var, k);
    }
}
