package dev.apportion.cli;

import dev.apportion.core.text.Numbers;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Number and value formatting for human-readable output (always {@link Locale#ROOT}). */
final class Fmt {
    private Fmt() {}

    /** A parameter value: whole numbers without ".0", others in the shortest exact form ({@code 1e-8}). */
    static String value(Object v) {
        if (v == null) return "none";
        if (v instanceof String && ((String) v).isEmpty()) return "\"\"";
        if (v instanceof Double || v instanceof Float) return Numbers.exact(((Number) v).doubleValue());
        if (v instanceof List) {
            return ((List<?>) v).stream().map(Fmt::value).collect(Collectors.joining(",", "[", "]"));
        }
        return v.toString();
    }

    /** Seconds with four significant digits. */
    static String seconds(double s) {
        return String.format(Locale.ROOT, "%.4g s", s);
    }

    /** A rate with an SI prefix: {@code 312.5 M}. */
    static String rate(double perSecond) {
        double a = Math.abs(perSecond);
        if (a >= 1e9) return String.format(Locale.ROOT, "%.2f G", perSecond / 1e9);
        if (a >= 1e6) return String.format(Locale.ROOT, "%.2f M", perSecond / 1e6);
        if (a >= 1e3) return String.format(Locale.ROOT, "%.2f k", perSecond / 1e3);
        return String.format(Locale.ROOT, "%.2f ", perSecond);
    }
}
