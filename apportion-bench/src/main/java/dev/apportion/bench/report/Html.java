package dev.apportion.bench.report;

import dev.apportion.core.text.Numbers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Small helpers for writing report.html: escaping, number formatting with {@link Locale#ROOT},
 * and typed reads of the untyped results tree (maps, lists, numbers, strings, booleans, null).
 */
final class Html {
    private Html() {}

    /** Text or attribute value with {@code < > & " '} escaped. */
    static String esc(Object o) {
        String s = o == null ? "" : String.valueOf(o);
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o instanceof List ? (List<Object>) o : List.of();
    }

    /** The number, or NaN when {@code o} is not a number (null stands for NaN in results.json). */
    static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    static boolean bool(Object o) {
        return Boolean.TRUE.equals(o);
    }

    /** A number for a {@code data-v} sort key: empty for NaN (sorted last). */
    static String key(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }

    /** "mean [lo, hi]" of a summary object ({@code mean}, {@code ci95}) with the interval in a muted span. */
    static String meanCi(Object summary, int d) {
        Map<String, Object> s = map(summary);
        if (s.isEmpty()) return "–";
        StringBuilder b = new StringBuilder(Numbers.fixed(num(s.get("mean")), d));
        List<Object> ci = list(s.get("ci95"));
        if (ci.size() == 2 && Double.isFinite(num(ci.get(0))) && Double.isFinite(num(ci.get(1)))) {
            b.append(" <span class=\"ci\">[")
                    .append(Numbers.fixed(num(ci.get(0)), d))
                    .append(", ")
                    .append(Numbers.fixed(num(ci.get(1)), d))
                    .append("]</span>");
        }
        return b.toString();
    }

    /** An id for an HTML anchor: letters, digits, '-' and '_' kept, other runs become one '-'; unique within {@code taken}. */
    static String slug(String prefix, String s, Set<String> taken) {
        StringBuilder b = new StringBuilder(prefix);
        boolean dash = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                b.append(c);
                dash = false;
            } else if (!dash) {
                b.append('-');
                dash = true;
            }
        }
        while (b.length() > prefix.length() && b.charAt(b.length() - 1) == '-') b.setLength(b.length() - 1);
        String base = b.toString();
        String id = base;
        for (int k = 2; !taken.add(id); k++) id = base + "-" + k;
        return id;
    }

    /** "credit_noise" becomes "credit noise". */
    static String human(String key) {
        return key.replace('_', ' ');
    }

    /**
     * A value of the tree as HTML: maps become key/value tables (folded into a {@code details}
     * element past {@code foldAt} entries), lists of scalars a comma-separated line, anything
     * else its text.
     */
    static String value(Object o, int foldAt) {
        if (o == null) return "–";
        if (o instanceof Map<?, ?> m) {
            if (m.isEmpty()) return "–";
            StringBuilder b = new StringBuilder("<table class=\"kv small\">");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append("<tr><th>")
                        .append(esc(human(String.valueOf(e.getKey()))))
                        .append("</th><td>")
                        .append(value(e.getValue(), foldAt))
                        .append("</td></tr>");
            }
            b.append("</table>");
            if (m.size() > foldAt) {
                return "<details><summary>" + m.size() + " entries</summary>" + b + "</details>";
            }
            return b.toString();
        }
        if (o instanceof List<?> l) {
            if (l.isEmpty()) return "–";
            boolean scalars = l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
            boolean shortText = l.stream().allMatch(x -> str(x).length() <= 40);
            if (scalars && shortText) {
                List<String> parts = new ArrayList<>();
                for (Object x : l) parts.add(esc(str(x)));
                return String.join(", ", parts);
            }
            StringBuilder b = new StringBuilder("<ul>");
            for (Object x : l) b.append("<li>").append(value(x, foldAt)).append("</li>");
            return b.append("</ul>").toString();
        }
        if (o instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) return esc(String.valueOf(d.longValue()));
        return esc(str(o));
    }
}
