package dev.apportion.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.text.Numbers;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Small helpers for writing report.html: escaping, number formatting with {@link Locale#ROOT},
 * and the reads of the open-ended JSON parts of the results (knobs, metadata, parameters).
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

    static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    /** The text of a JSON scalar as the report shows it: "" for null or missing. */
    static String str(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? "" : n.asText();
    }

    /** The number, or NaN when {@code n} is not a number (null stands for NaN in results.json). */
    static double num(JsonNode n) {
        return n != null && n.isNumber() ? n.asDouble() : Double.NaN;
    }

    /** A number for a {@code data-v} sort key: empty for NaN (sorted last). */
    static String key(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }

    /** "mean [lo, hi]" of a summary with the interval in a muted span; "–" when there is none. */
    static String meanCi(Results.Stat s, int d) {
        if (s == null) return "–";
        StringBuilder b = new StringBuilder(Numbers.fixed(s.mean(), d));
        if (Double.isFinite(s.lo()) && Double.isFinite(s.hi())) {
            b.append(" <span class=\"ci\">[")
                    .append(Numbers.fixed(s.lo(), d))
                    .append(", ")
                    .append(Numbers.fixed(s.hi(), d))
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
     * A JSON value as HTML: objects become key/value tables (folded into a {@code details}
     * element past {@code foldAt} entries), arrays of scalars a comma-separated line, a
     * floating-point number with an integral value its integer, anything else its text.
     */
    static String value(JsonNode o, int foldAt) {
        if (o == null || o.isNull() || o.isMissingNode()) return "–";
        if (o.isObject()) {
            if (o.isEmpty()) return "–";
            StringBuilder b = new StringBuilder("<table class=\"kv small\">");
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                b.append("<tr><th>")
                        .append(esc(human(e.getKey())))
                        .append("</th><td>")
                        .append(value(e.getValue(), foldAt))
                        .append("</td></tr>");
            }
            b.append("</table>");
            if (o.size() > foldAt) {
                return "<details><summary>" + o.size() + " entries</summary>" + b + "</details>";
            }
            return b.toString();
        }
        if (o.isArray()) {
            if (o.isEmpty()) return "–";
            boolean scalars = true;
            boolean shortText = true;
            for (JsonNode x : o) {
                if (x.isContainerNode()) scalars = false;
                if (str(x).length() > 40) shortText = false;
            }
            if (scalars && shortText) {
                List<String> parts = new ArrayList<>();
                for (JsonNode x : o) parts.add(esc(str(x)));
                return String.join(", ", parts);
            }
            StringBuilder b = new StringBuilder("<ul>");
            for (JsonNode x : o) b.append("<li>").append(value(x, foldAt)).append("</li>");
            return b.append("</ul>").toString();
        }
        if (o.isFloatingPointNumber()) {
            double d = o.asDouble();
            if (d == Math.rint(d) && Math.abs(d) < 1e15) return esc(String.valueOf((long) d));
        }
        return esc(str(o));
    }
}
