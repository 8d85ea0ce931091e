package dev.apportion.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.text.Numbers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The credit viewer page: written whole by {@code apportion inspect} (data embedded, see
 * {@link InspectData}) or served by {@code apportion serve} at {@code /} (the page asks the
 * service for the credit). One self-contained HTML document: styles, Chart.js and scripts
 * inlined, nothing fetched in the inspect page. Without JavaScript, the inspect page shows a
 * per-group and a per-trajectory summary table rendered here.
 */
public final class ViewerPage {
    /** Trajectory rows of the table shown without JavaScript. */
    static final int NOSCRIPT_ROWS = 500;

    private ViewerPage() {}

    /** The page of {@code apportion inspect}. */
    public static String inspect(
            Rollouts batch,
            int limit,
            List<ViewerRun> runs,
            List<PinnedFinding> findings,
            Map<String, Object> prov,
            boolean doctorRan) {
        if (runs.isEmpty()) throw new IllegalArgumentException("the viewer needs at least one estimator");
        String data = InspectData.json(batch, limit, runs, findings, prov);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mode", "inspect");
        config.put("version", String.valueOf(prov.get("apportion")));
        config.put("chartjs", ViewAssets.chartJsVersion());
        config.put("doctor", doctorRan);
        String source = String.valueOf(prov.getOrDefault("source", "batch"));
        StringBuilder b = new StringBuilder(data.length() + 400_000);
        b.append("<!doctype html>\n<html lang=\"en\"><head>\n")
                .append(ViewAssets.head(
                        "apportion inspect — " + source, ViewAssets.resource("/dev/apportion/view/viewer.css")))
                .append("</head><body>\n<header class=\"ap-header\"><h1>Credit of <code>")
                .append(ViewAssets.esc(source))
                .append("</code></h1><div class=\"ap-sub\">apportion inspect · ")
                .append(batch.trajectoryCount())
                .append(" trajectories, ")
                .append(batch.groupCount())
                .append(" groups · ");
        for (int k = 0; k < runs.size(); k++)
            b.append(k == 0 ? "" : ", ").append(ViewAssets.esc(runs.get(k).label()));
        b.append("</div></header>\n<main class=\"ap-wrap\">\n");
        noscript(b, batch, limit, runs);
        viewerBody(b, false);
        b.append("</main>\n")
                .append(ViewAssets.jsonIsland("ap-config", json(config)))
                .append(ViewAssets.jsonIsland("ap-data", data))
                .append(ViewAssets.script(ViewAssets.resource("/dev/apportion/view/viewer.js")))
                .append("</body></html>\n");
        return b.toString();
    }

    /** A link to a page the served viewer lists (a benchmark report). */
    public record Link(String href, String title) {}

    /**
     * The page served at {@code /}: choose a rollout file from {@code files} (served by the
     * caller under {@code view/files/NAME}) or upload one, choose estimators, compute through
     * {@code POST v1/credit}; {@code reports} are listed as links.
     */
    public static String served(String version, List<String> files, List<Link> reports) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mode", "served");
        config.put("version", version);
        config.put("chartjs", ViewAssets.chartJsVersion());
        config.put("files", files);
        StringBuilder b = new StringBuilder(400_000);
        b.append("<!doctype html>\n<html lang=\"en\"><head>\n")
                .append(ViewAssets.head(
                        "apportion — credit viewer", ViewAssets.resource("/dev/apportion/view/viewer.css")))
                .append(
                        "</head><body>\n<header class=\"ap-header\"><h1>apportion credit viewer</h1><div class=\"ap-sub\">")
                .append("apportion serve ")
                .append(ViewAssets.esc(version))
                .append(
                        " · <a href=\"openapi.json\">API (OpenAPI)</a> · <a href=\"v1/estimators\">estimators</a></div></header>\n")
                .append(
                        "<main class=\"ap-wrap\">\n<noscript><p>The served viewer computes credit through the API and needs "
                                + "JavaScript. Without it, use <code>POST /v1/credit</code> directly, or write a static page with "
                                + "<code>apportion inspect</code> (its summary tables read without JavaScript).</p></noscript>\n");
        if (!reports.isEmpty()) {
            b.append("<section><h2>Benchmark reports</h2><ul>");
            for (Link l : reports) {
                b.append("<li><a href=\"")
                        .append(ViewAssets.esc(l.href()))
                        .append("\">")
                        .append(ViewAssets.esc(l.title()))
                        .append("</a></li>");
            }
            b.append("</ul></section>\n");
        }
        b.append("<form id=\"srv-form\" class=\"srv-form js-only\" hidden>\n<fieldset><legend>Rollouts</legend>"
                + "<div class=\"ap-controls\"><label>file from the data folder<select id=\"srv-file\"></select></label>"
                + "<label>or upload a rollout JSONL<input type=\"file\" id=\"srv-upload\" accept=\".jsonl,.ndjson,.json,text/plain\"></label>"
                + "</div></fieldset>\n");
        for (String s : new String[] {"a", "b"}) {
            b.append("<fieldset><legend>Estimator ")
                    .append(s.equals("a") ? "A" : "B (optional, side by side)")
                    .append("</legend><div class=\"ap-controls\"><label>estimator<select id=\"srv-est-")
                    .append(s)
                    .append("\"></select></label><label>preset<input id=\"srv-preset-")
                    .append(s)
                    .append(
                            "\" size=\"10\" placeholder=\"(default)\"></label><label>parameters KEY=VALUE, …<input id=\"srv-param-")
                    .append(s)
                    .append("\" size=\"28\"></label></div></fieldset>\n");
        }
        b.append("<div class=\"ap-controls\"><button type=\"submit\" id=\"srv-go\">Compute credit</button>"
                + "<span id=\"srv-status\" class=\"ap-muted\" role=\"status\"></span></div></form>\n");
        viewerBody(b, true);
        b.append("</main>\n")
                .append(ViewAssets.jsonIsland("ap-config", json(config)))
                .append(ViewAssets.script(ViewAssets.resource("/dev/apportion/view/viewer.js")))
                .append("</body></html>\n");
        return b.toString();
    }

    private static void viewerBody(StringBuilder b, boolean hidden) {
        b.append("<div id=\"viewer\" class=\"js-only\"")
                .append(hidden ? " hidden" : "")
                .append(">\n")
                .append("<div class=\"ap-controls\" role=\"search\">")
                .append("<label>estimator<select id=\"est-a\"></select></label>")
                .append(
                        "<label><span><input type=\"checkbox\" id=\"compare\"> side by side with</span><select id=\"est-b\"></select></label>")
                .append("<label>group<select id=\"f-group\"></select></label>")
                .append("<label>outcome<select id=\"f-outcome\"></select></label>")
                .append("<label>max |credit| ≥<input type=\"number\" id=\"f-abs\" step=\"any\" min=\"0\"></label>")
                .append("<label>id or group contains<input type=\"search\" id=\"f-id\" size=\"12\"></label>")
                .append("<span id=\"count\" class=\"ap-muted\" role=\"status\"></span></div>\n")
                .append("<div id=\"legend\" class=\"ap-legend\"></div>\n")
                .append("<div class=\"vgrid\"><section><h2>Groups</h2><div id=\"summary\"></div></section>")
                .append(
                        "<section><h2>Provenance</h2><div id=\"provenance\"></div><div id=\"findings\"></div></section></div>\n")
                .append(
                        "<h2>Trajectories</h2><p class=\"ap-muted\">Each token is coloured by its credit; context tokens "
                                + "(prompt, tool output) are hatched grey; a bar starts each span. Hover a token or focus it "
                                + "(Tab, then the arrow keys) to read its value below.</p>\n")
                .append("<div id=\"list\"></div>\n")
                .append(
                        "<div id=\"readout\" aria-live=\"polite\"><span id=\"ro-where\">Hover or focus a token to read its credit.</span> "
                                + "<span id=\"ro-vals\"></span></div>\n</div>\n");
    }

    private static void noscript(StringBuilder b, Rollouts batch, int limit, List<ViewerRun> runs) {
        int n = Math.min(limit, batch.trajectoryCount());
        int E = runs.size();
        double[][] mean = new double[E][n];
        double[][] maxAbs = new double[E][n];
        int[] pol = new int[n];
        for (int i = 0; i < n; i++) {
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!batch.isPolicySpan(s)) continue;
                pol[i] += batch.spanTokenEnd(s) - batch.spanTokenStart(s);
                for (int e = 0; e < E; e++) {
                    float[] a = runs.get(e).credit().advantages();
                    for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++) {
                        mean[e][i] += a[t];
                        maxAbs[e][i] = Math.max(maxAbs[e][i], Math.abs(a[t]));
                    }
                }
            }
            for (int e = 0; e < E; e++) if (pol[i] > 0) mean[e][i] /= pol[i];
        }
        float[] out = batch.outcome();
        Map<String, float[]> comps = batch.outcomeComponents();
        b.append(
                "<noscript>\n<p>Without JavaScript this page shows summary tables; the token view needs JavaScript.</p>\n");
        b.append(
                "<h2>Groups</h2><div class=\"ap-scroll\"><table class=\"ap-table\"><thead><tr><th>group</th><th class=\"num\">trajectories</th><th class=\"num\">mean outcome</th>");
        for (ViewerRun r : runs)
            b.append("<th class=\"num\">").append(ViewAssets.esc(r.label())).append(" mean credit</th>");
        b.append("</tr></thead><tbody>\n");
        int G = batch.groupCount();
        int[] cnt = new int[G];
        int[] outN = new int[G];
        double[] outS = new double[G];
        double[][] gm = new double[E][G];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            cnt[g]++;
            double o = InspectData.outcome(out, comps, i);
            if (!Double.isNaN(o)) {
                outS[g] += o;
                outN[g]++;
            }
            for (int e = 0; e < E; e++) gm[e][g] += mean[e][i];
        }
        for (int g = 0; g < G; g++) {
            if (cnt[g] == 0) continue;
            b.append("<tr><td>")
                    .append(ViewAssets.esc(batch.groupKey(g)))
                    .append("</td><td class=\"num\">")
                    .append(cnt[g])
                    .append("</td><td class=\"num\">")
                    .append(outN[g] == 0 ? "–" : Numbers.significant(outS[g] / outN[g], 4))
                    .append("</td>");
            for (int e = 0; e < E; e++)
                b.append("<td class=\"num\">")
                        .append(Numbers.significant(gm[e][g] / cnt[g], 4))
                        .append("</td>");
            b.append("</tr>\n");
        }
        b.append(
                "</tbody></table></div>\n<h2>Trajectories</h2><div class=\"ap-scroll\"><table class=\"ap-table\"><thead><tr><th>id</th><th>group</th>"
                        + "<th class=\"num\">outcome</th><th class=\"num\">tokens</th><th class=\"num\">policy tokens</th>");
        for (ViewerRun r : runs) {
            b.append("<th class=\"num\">")
                    .append(ViewAssets.esc(r.label()))
                    .append(" mean credit</th><th class=\"num\">max |credit|</th>");
        }
        b.append("</tr></thead><tbody>\n");
        for (int i = 0; i < Math.min(n, NOSCRIPT_ROWS); i++) {
            double o = InspectData.outcome(out, comps, i);
            b.append("<tr><td>")
                    .append(ViewAssets.esc(batch.trajectoryId(i)))
                    .append("</td><td>")
                    .append(ViewAssets.esc(batch.groupKey(batch.trajectoryGroup(i))))
                    .append("</td><td class=\"num\">")
                    .append(Double.isNaN(o) ? "–" : Numbers.significant(o, 4))
                    .append("</td><td class=\"num\">")
                    .append(batch.tokenEnd(i) - batch.tokenStart(i))
                    .append("</td><td class=\"num\">")
                    .append(pol[i])
                    .append("</td>");
            for (int e = 0; e < E; e++) {
                b.append("<td class=\"num\">")
                        .append(Numbers.significant(mean[e][i], 4))
                        .append("</td><td class=\"num\">")
                        .append(Numbers.significant(maxAbs[e][i], 4))
                        .append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</tbody></table></div>\n");
        if (n > NOSCRIPT_ROWS)
            b.append("<p>First ").append(NOSCRIPT_ROWS).append(" of ").append(n).append(" trajectories.</p>\n");
        b.append("</noscript>\n");
    }

    private static String json(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
