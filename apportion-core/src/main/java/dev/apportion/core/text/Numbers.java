package dev.apportion.core.text;

import java.util.Locale;

/**
 * The one place that turns numbers into text for people: messages, tables and HTML pages. Every
 * variant is independent of the default locale ({@link Locale#ROOT}). Numbers written into data
 * files are not formatted here: the JSONL writers of apportion-io hand floats to Jackson, which
 * writes the shortest decimal that reads back to the same float32.
 *
 * <ul>
 *   <li>{@link #exact}: a value someone typed or will type back (parameter values and bounds):
 *       every digit needed to read back the same double, none more.</li>
 *   <li>{@link #fixed}: a column of comparable values with a fixed number of decimals.</li>
 *   <li>{@link #small}: like {@code fixed(v, 3)}, but a value below 0.01 in magnitude keeps three
 *       significant digits so that small effects do not print as 0.000.</li>
 *   <li>{@link #significant}: a column of values of any magnitude, to a number of significant
 *       digits.</li>
 *   <li>{@link #compact}: a value of any magnitude in a message, to a number of significant
 *       digits, without trailing zeros.</li>
 * </ul>
 */
public final class Numbers {
    /** What {@link #fixed} and {@link #small} print for NaN and the infinities. */
    public static final String MISSING = "–";

    private Numbers() {}

    /**
     * Whole numbers below 10^15 in magnitude without a decimal point ({@code 3}, {@code -2});
     * others in the shortest form that reads back to the same double, with a lower-case exponent
     * and no {@code .0} before it ({@code 0.95}, {@code 1e-8}, {@code 1.5e20}); NaN and the
     * infinities as Java writes them. Negative zero is {@code 0}.
     */
    public static String exact(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) return Double.toString(d);
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        String s = Double.toString(d).replace("E", "e");
        return s.replace(".0e", "e");
    }

    /**
     * {@code v} rounded to {@code decimals} decimals ({@code %.nf}); {@link #MISSING} for NaN and
     * the infinities; a result that rounds to zero carries no minus sign ({@code -0.0004} →
     * {@code 0.000}).
     */
    public static String fixed(double v, int decimals) {
        if (!Double.isFinite(v)) return MISSING;
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        if (s.startsWith("-") && s.chars().noneMatch(c -> c >= '1' && c <= '9')) s = s.substring(1);
        return s;
    }

    /**
     * {@code fixed(v, 3)} when {@code v} is 0 or at least 0.01 in magnitude, otherwise three
     * significant digits ({@code %.3g}: {@code 0.00123}, {@code -4.56e-05}); {@link #MISSING}
     * for NaN and the infinities.
     */
    public static String small(double v) {
        if (!Double.isFinite(v)) return MISSING;
        if (v == 0 || Math.abs(v) >= 0.01) return fixed(v, 3);
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /**
     * {@code v} to {@code digits} significant digits ({@code %.ng}), trailing zeros kept so that a
     * table column shows the same precision in every row ({@code 1.000}, {@code 0.5773},
     * {@code 1.235e+05}); {@code 0} for either zero; NaN and the infinities as Java writes them.
     */
    public static String significant(double v, int digits) {
        if (v == 0) return "0";
        if (Double.isNaN(v) || Double.isInfinite(v)) return Double.toString(v);
        return String.format(Locale.ROOT, "%." + digits + "g", v);
    }

    /**
     * {@link #significant} without the trailing zeros of the fraction, for messages
     * ({@code 0.5}, {@code 1e-07}, {@code 123456.8}).
     */
    public static String compact(double v, int digits) {
        return significant(v, digits).replaceFirst("(\\.\\d*?)0+(e|$)", "$1$2").replaceFirst("\\.(e|$)", "$1");
    }
}
