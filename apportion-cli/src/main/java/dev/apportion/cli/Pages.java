package dev.apportion.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.apportion.core.text.Numbers;
import dev.apportion.view.ViewAssets;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Static HTML pages for evaluate and compare, built from the shared page components of
 * {@code apportion-view} ({@link ViewAssets}): the common styles, the one bundled Chart.js and
 * {@code ApView.autoCharts} for the charts, which are declared here as data ({@link #chart}).
 * The tables carry every number, so the pages read without JavaScript too.
 */
final class Pages {
    private Pages() {}

    static String esc(String s) {
        return ViewAssets.esc(s);
    }

    static StringBuilder start(String title) {
        StringBuilder b = new StringBuilder(300_000);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n")
                .append(ViewAssets.head(
                        title,
                        "caption{text-align:left;font-weight:600;padding:4px 0}.note{color:var(--ap-muted)}"
                                + ".ap-table td:not(:first-child),.ap-table th:not(:first-child){text-align:right}"
                                + ".ap-chart{height:260px;margin:12px 0}"))
                .append("</head>\n<body>\n<header class=\"ap-header\"><h1>")
                .append(esc(title))
                .append("</h1></header>\n<main class=\"ap-wrap\">\n");
        return b;
    }

    static void para(StringBuilder b, String text) {
        b.append("<p class=\"note\">").append(esc(text)).append("</p>\n");
    }

    static void table(StringBuilder b, String caption, List<String> head, List<List<String>> rows) {
        b.append("<div class=\"ap-scroll\"><table class=\"ap-table\">\n<caption>")
                .append(esc(caption))
                .append("</caption>\n<thead><tr>");
        for (String h : head) b.append("<th>").append(esc(h)).append("</th>");
        b.append("</tr></thead>\n<tbody>\n");
        for (List<String> r : rows) {
            b.append("<tr>");
            for (String c : r) b.append("<td>").append(esc(c)).append("</td>");
            b.append("</tr>\n");
        }
        b.append("</tbody>\n</table></div>\n");
    }

    /**
     * A bar chart drawn by the bundled Chart.js ({@code ApView.autoCharts}); NaN values are gaps.
     *
     * @param series label → one value per label
     */
    static void chart(StringBuilder b, String title, String yAxis, List<String> labels, Map<String, double[]> series) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("type", "bar");
        spec.put("title", title);
        spec.put("y", yAxis);
        spec.put("labels", labels);
        List<Map<String, Object>> ss = new ArrayList<>();
        series.forEach((name, values) -> {
            List<Object> data = new ArrayList<>();
            for (double v : values) data.add(json(v));
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("label", name);
            s.put("data", data);
            ss.add(s);
        });
        spec.put("series", ss);
        String json;
        try {
            json = new ObjectMapper().writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        b.append("<div class=\"ap-chart js-only\" data-ap-chart=\"")
                .append(esc(json))
                .append("\"></div>\n");
    }

    static String end(StringBuilder b) {
        return b.append("</main>\n<footer class=\"ap-wrap ap-muted\">Charts: Chart.js ")
                .append(esc(ViewAssets.chartJsVersion()))
                .append(" (inlined).</footer>\n</body>\n</html>\n")
                .toString();
    }

    static String ci(double[] c) {
        return Double.isNaN(c[0]) ? "–" : "[" + Numbers.fixed(c[0], 3) + ", " + Numbers.fixed(c[1], 3) + "]";
    }

    /** A JSON number or null for NaN. */
    static Object json(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) ? null : d;
    }

    /** Prints {@code value} as indented JSON (the {@code --json} output of compare, doctor, evaluate). */
    static void printJson(PrintWriter out, Object value) throws JsonProcessingException {
        out.println(
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value));
    }
}
