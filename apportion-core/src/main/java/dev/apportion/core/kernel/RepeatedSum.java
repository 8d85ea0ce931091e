package dev.apportion.core.kernel;

/**
 * The result of adding the same double to an accumulator many times in a row, bit for bit what
 * the plain loop {@code for (i = 0; i < n; i++) acc += c;} gives, in a few steps instead of
 * {@code n}. A token-order sum over values that are constant on each span (a step advantage
 * broadcast onto its tokens, then summed for batch whitening) is a chain of such runs; the plain
 * loop is bound by the latency of one floating-point add per token, this by a few per span.
 *
 * <h2>Why it is exact</h2>
 * While the accumulator {@code s} stays inside one binade {@code [2^e, 2^(e+1))} (same sign), it
 * is a multiple of {@code u = ulp(s)}, and round-to-nearest places {@code s + c} on the multiple of
 * {@code u} nearest to it: the increment {@code fl(s + c) − s} depends only on where {@code c}
 * falls between two multiples of {@code u}, not on {@code s} — except on a tie (half an ulp),
 * where round-half-even looks at {@code s}'s parity. So after one real addition that is no tie
 * (checked exactly with the TwoSum error), every further addition whose result stays strictly
 * inside the binade adds the same increment, and a run of them is one multiplication and one
 * addition, both exact. At a binade edge, on a tie, near zero or subnormals, or at infinities the
 * method falls back to real additions; a fixed point ({@code fl(s + c) = s}) ends the run at once.
 */
public final class RepeatedSum {
    private RepeatedSum() {}

    private static final long LO = 1L << 52;
    private static final long HI = 1L << 53;

    /**
     * {@code acc} after {@code n} sequential additions of {@code c} ({@code acc += c}, n times), bit
     * for bit.
     *
     * @param n number of additions (0 returns {@code acc})
     */
    public static double add(double acc, double c, long n) {
        while (n > 0) {
            double t = acc + c;
            n--;
            if (n == 0) return t;
            if (Double.doubleToRawLongBits(t) == Double.doubleToRawLongBits(acc)) return t; // fixed point
            int e = Math.getExponent(t);
            if (e == Math.getExponent(acc)
                    && e > Double.MIN_EXPONENT + 60
                    && e < Double.MAX_EXPONENT - 2
                    && (t > 0) == (acc > 0)) {
                double step = t - acc; // exact (Sterbenz: same binade, same sign)
                double err = (acc - (t - step)) + (c - step); // exact error of acc + c (TwoSum)
                double u = Math.ulp(t);
                if (Math.abs(err) != 0.5 * u) {
                    long a = (long) (Math.abs(t) / u); // |t| in ulps, in [2^52, 2^53)
                    long d = (long) (step / u);
                    if (t < 0) d = -d; // increment of the magnitude, in ulps (never 0 here)
                    if (a > LO) {
                        long room = d > 0 ? (HI - 1 - a) / d : (a - LO - 1) / -d;
                        long m = Math.min(n, room);
                        if (m > 0) {
                            acc = t + m * step; // every intermediate result is exact and inside the binade
                            n -= m;
                            continue;
                        }
                    }
                }
            }
            acc = t;
        }
        return acc;
    }
}
