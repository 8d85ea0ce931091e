package dev.apportion.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * report.html: one self-contained file, readable offline. It embeds the results tree (the
 * content of results.json), the Chart.js bundle from its WebJar and a small renderer that draws
 * the leaderboard, the claims, per-task credit-quality bars with 95% intervals, learning curves
 * with bands, and heat strips of turn credit on example trajectories next to the oracle's.
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /** The HTML text for a results tree (see {@link ResultsJson#tree}). */
    public static String render(Map<String, Object> tree) {
        String data;
        try {
            data = new ObjectMapper().writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot embed results: " + e.getMessage(), e);
        }
        data = data.replace("</", "<\\/").replace("<!--", "<\\!--");
        String chart = resource("/META-INF/resources/webjars/chart.js/" + Provenance.chartJsVersion() + "/dist/chart.umd.js");
        String js = resource("/dev/apportion/bench/report/report.js");
        if (js == null) throw new IllegalStateException("missing resource report.js");
        @SuppressWarnings("unchecked")
        Map<String, Object> prov = (Map<String, Object>) tree.get("provenance");
        @SuppressWarnings("unchecked")
        Map<String, Object> suite = (Map<String, Object>) prov.get("suite");
        StringBuilder b = new StringBuilder(400_000);
        b.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>apportion bench — ").append(esc(String.valueOf(suite.get("name")))).append("</title>\n")
                .append("<style>").append(CSS).append("</style>\n");
        if (chart != null) {
            b.append("<script>/* Chart.js ").append(esc(Provenance.chartJsVersion()))
                    .append(", MIT License, https://www.chartjs.org (from the org.webjars.npm:chart.js WebJar) */\n")
                    .append(chart.replace("</script", "<\\/script")).append("\n</script>\n");
        }
        b.append("</head><body>\n<header><h1>apportion bench — ").append(esc(String.valueOf(suite.get("name")))).append(" suite</h1>\n")
                .append("<p>").append(esc(String.valueOf(suite.get("description")))).append("</p>\n<p class=\"meta\">apportion ")
                .append(esc(String.valueOf(prov.get("apportion_version")))).append(" · commit ")
                .append(esc(String.valueOf(prov.get("git_commit")))).append(" · root seed ").append(esc(String.valueOf(prov.get("root_seed"))))
                .append(" · credit-quality seeds ").append(esc(String.valueOf(suite.get("seeds"))))
                .append(" · learning seeds ").append(esc(String.valueOf(suite.get("learning_seeds")))).append("</p>\n");
        Object notes = suite.get("notes");
        if (notes instanceof Iterable) {
            b.append("<ul class=\"notes\">");
            for (Object n : (Iterable<?>) notes) b.append("<li>").append(esc(String.valueOf(n))).append("</li>");
            b.append("</ul>\n");
        }
        b.append("<nav><a href=\"#leaderboard\">leaderboard</a> · <a href=\"#claims\">claims</a> · <a href=\"#bsuite\">bsuite</a> · ")
                .append("<a href=\"#tasks\">tasks</a> · <a href=\"#skipped\">skipped</a> · <a href=\"#signals\">signals</a> · ")
                .append("<a href=\"#provenance\">provenance</a></nav></header>\n<main id=\"main\"></main>\n")
                .append("<noscript><p>This report draws its tables and charts with JavaScript; the numbers are also in results.json and results.csv.</p></noscript>\n")
                .append("<script type=\"application/json\" id=\"bench-data\">").append(data).append("</script>\n<script>\n")
                .append(js).append("\n</script>\n</body></html>\n");
        return b.toString();
    }

    private static String resource(String path) {
        try (InputStream in = HtmlReport.class.getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<': b.append("&lt;"); break;
                case '>': b.append("&gt;"); break;
                case '&': b.append("&amp;"); break;
                case '"': b.append("&quot;"); break;
                default: b.append(c);
            }
        }
        return b.toString();
    }

    private static final String CSS = "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}"
            + "header{background:#fff;border-bottom:1px solid #ddd;padding:12px 24px}h1{margin:0 0 4px;font-size:22px}"
            + "main{padding:8px 24px 40px}section{margin-top:24px}h2{border-bottom:2px solid #4575b4;padding-bottom:2px}"
            + "h3{margin:18px 0 4px}.fam{font-size:12px;color:#666;font-weight:normal;background:#eef;padding:1px 6px;border-radius:8px}"
            + "table{border-collapse:collapse;margin:6px 0 12px;background:#fff}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}"
            + "th{background:#f0f3f8}table.num td{font-variant-numeric:tabular-nums}table.small{font-size:12px}"
            + ".chart{position:relative;max-width:1100px;margin:8px 0}.meta,.note{color:#555;font-size:12px}"
            + ".task{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:4px 14px 10px;margin:14px 0}"
            + ".status{padding:1px 6px;border-radius:8px;font-size:12px}.status.holds{background:#d9f0d3}"
            + ".status.contradicted{background:#f4cccc}.status.inconclusive{background:#fff2cc}"
            + ".status.estimator-not-available,.status.not-run,.status.error{background:#e6e6e6}"
            + "table.strip td{width:14px;height:14px;padding:0;border:1px solid #eee}table.strip th{font-size:11px;font-weight:normal;padding:0 3px;text-align:center}"
            + "table.strip th.rowlabel{text-align:right;white-space:nowrap}pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto;font-size:12px;max-height:500px}"
            + ".warn{background:#fff2cc;padding:6px}nav{font-size:13px;margin-top:6px}";
}
