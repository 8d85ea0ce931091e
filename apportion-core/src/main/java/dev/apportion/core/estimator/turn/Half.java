package dev.apportion.core.estimator.turn;

/**
 * IEEE 754 binary16 rounding (round to nearest, ties to even), for reference code that stores
 * numbers in float16 tensors. Java 17 has no {@code Float.floatToFloat16}, so the rounding is
 * done on the double value: the spacing of half-precision numbers near x is 2^(e−10) for
 * normal x (exponent e ≥ −14) and 2^−24 for subnormals; values beyond 65504 round to ±∞ from
 * 65520 on.
 */
final class Half {
    private static final double MAX = 65504.0;

    private Half() {}

    /** {@code x} rounded to the nearest binary16 value, as a double. */
    static double round(double x) {
        if (x == 0 || Double.isNaN(x) || Double.isInfinite(x)) return x;
        int e = Math.getExponent(x);
        double quantum = e < -14 ? 0x1p-24 : Math.scalb(1.0, e - 10);
        double r = Math.rint(x / quantum) * quantum;
        if (Math.abs(r) > MAX) return Math.copySign(Double.POSITIVE_INFINITY, x);
        return r;
    }
}
