package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * report.html: one self-contained file that reads offline and loads nothing from the network.
 *
 * <p>The page is written here as plain HTML (every section, table, heat strip and claim interval),
 * so it is complete without JavaScript. It also embeds the results (the content of
 * results.json, compact) as a JSON island, the Chart.js bundle from its WebJar, and a small script
 * (report.js) that draws the charts (per-task credit quality with 95% intervals, learning curves
 * with bands) and adds sorting, "show all" toggles and the leaderboard filter. Sections, in order:
 * at a glance, leaderboard, claims, tasks (one section per task configuration), bsuite, skipped
 * estimators, estimators, signals, provenance.
 *
 * <p>Deterministic: the same results give the same bytes; only their {@code timing} differs
 * between runs with the same seed. The page is rendered from the results as written and read
 * back, so a run and {@code --report-from} its results.json give the same page.
 */
public final class HtmlReport {
    /** Section anchors in page order, with their navigation labels. */
    static final Map<String, String> SECTIONS = sections();

    private HtmlReport() {}

    private static Map<String, String> sections() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("leaderboard", "Leaderboard");
        m.put("claims", "Claims");
        m.put("tasks", "Tasks");
        m.put("bsuite", "bsuite");
        m.put("skipped", "Skipped");
        m.put("estimators", "Estimators");
        m.put("signals", "Signals");
        m.put("provenance", "Provenance");
        return m;
    }

    /** The HTML text for typed results (see {@link ResultsJson#of} and {@link ResultsJson#read}). */
    public static String render(Results results) {
        String data = ResultsJson.compact(results);
        Results t;
        try {
            t = ResultsJson.parse(data.getBytes(StandardCharsets.UTF_8), "results");
        } catch (IOException e) {
            throw new IllegalStateException("cannot embed results: " + e.getMessage(), e);
        }
        data = data.replace("</", "<\\/").replace("<!--", "<\\!--");
        String chart = chartJs();
        String js = resource("/dev/apportion/bench/report/report.js");
        String css = resource("/dev/apportion/bench/report/report.css");
        if (js == null || css == null) throw new IllegalStateException("missing resource report.js or report.css");
        ReportPage p = new ReportPage(t);
        String suiteName = str(p.suite.name());
        StringBuilder b = new StringBuilder(600_000);
        b.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>apportion bench — ")
                .append(esc(suiteName))
                .append("</title>\n")
                .append("<style>\n")
                .append(dev.apportion.view.ViewAssets.css())
                .append(css)
                .append("</style>\n");
        // the shared components: the one bundled Chart.js and ApView (colour scale, helpers)
        b.append(dev.apportion.view.ViewAssets.script("/* Chart.js " + dev.apportion.view.ViewAssets.chartJsVersion()
                + ", MIT License (from the org.webjars.npm:chart.js WebJar) */\n" + chart));
        b.append(dev.apportion.view.ViewAssets.script(dev.apportion.view.ViewAssets.componentsJs()));
        b.append("</head><body>\n");
        new HeaderSection(p).render(b);
        b.append("<main class=\"wrap\">\n");
        new GlanceSection(p).render(b);
        new LeaderboardSection(p).render(b);
        new ClaimsSection(p).render(b);
        new TasksSection(p).render(b);
        new BsuiteSection(p).render(b);
        new SkippedSection(p).render(b);
        new EstimatorsSection(p).render(b);
        new SignalsSection(p).render(b);
        new ProvenanceSection(p).render(b);
        b.append("</main>\n")
                .append("<script type=\"application/json\" id=\"bench-data\">")
                .append(data)
                .append("</script>\n<script>\n")
                .append(js)
                .append("\n</script>\n</body></html>\n");
        return b.toString();
    }

    /** The Chart.js bundle of every apportion page (apportion-view). */
    private static String chartJs() {
        return dev.apportion.view.ViewAssets.chartJs();
    }

    private static String resource(String path) {
        try (InputStream in = HtmlReport.class.getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    static String esc(String s) {
        return Html.esc(s);
    }

    /** One rendering of one results tree. */
}
