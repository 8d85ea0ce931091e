package dev.apportion.cli;

import java.util.List;
import java.util.Locale;

/**
 * Simple static HTML pages (a title, notes and tables; no script) for evaluate and compare.
 * Deliberately plain: a later pass gives them the report's shared styling and charts.
 */
final class Pages {
    private Pages() {
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static StringBuilder start(String title) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(esc(title))
                .append("</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
                        + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
                        + "th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:bold}"
                        + ".note{color:#444}</style>\n</head>\n<body>\n<h1>").append(esc(title)).append("</h1>\n");
        return b;
    }

    static void para(StringBuilder b, String text) {
        b.append("<p class=\"note\">").append(esc(text)).append("</p>\n");
    }

    static void table(StringBuilder b, String caption, List<String> head, List<List<String>> rows) {
        b.append("<table>\n<caption>").append(esc(caption)).append("</caption>\n<thead><tr>");
        for (String h : head) b.append("<th>").append(esc(h)).append("</th>");
        b.append("</tr></thead>\n<tbody>\n");
        for (List<String> r : rows) {
            b.append("<tr>");
            for (String c : r) b.append("<td>").append(esc(c)).append("</td>");
            b.append("</tr>\n");
        }
        b.append("</tbody>\n</table>\n");
    }

    static String end(StringBuilder b) {
        return b.append("</body>\n</html>\n").toString();
    }

    static String num(double d) {
        return Double.isNaN(d) ? "–" : String.format(Locale.ROOT, "%.3f", d);
    }

    static String ci(double[] c) {
        return Double.isNaN(c[0]) ? "–" : String.format(Locale.ROOT, "[%.3f, %.3f]", c[0], c[1]);
    }

    /** A JSON number or null for NaN. */
    static Object json(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) ? null : d;
    }
}
