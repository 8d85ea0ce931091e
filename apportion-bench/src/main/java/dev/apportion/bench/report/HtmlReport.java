package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.bool;
import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.human;
import static dev.apportion.bench.report.Html.key;
import static dev.apportion.bench.report.Html.list;
import static dev.apportion.bench.report.Html.map;
import static dev.apportion.bench.report.Html.num;
import static dev.apportion.bench.report.Html.str;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.text.Numbers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * report.html: one self-contained file that reads offline and loads nothing from the network.
 *
 * <p>The page is written here as plain HTML (every section, table, heat strip and claim interval),
 * so it is complete without JavaScript. It also embeds the results tree (the content of
 * results.json) as a JSON island, the Chart.js bundle from its WebJar, and a small script
 * (report.js) that draws the charts (per-task credit quality with 95% intervals, learning curves
 * with bands) and adds sorting, "show all" toggles and the leaderboard filter. Sections, in order:
 * at a glance, leaderboard, claims, tasks (one section per task configuration), bsuite, skipped
 * estimators, estimators, signals, provenance.
 *
 * <p>Deterministic: the same results tree gives the same bytes; only the tree's {@code timing}
 * object differs between runs with the same seed.
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

    /** The HTML text for a results tree (see {@link ResultsJson#tree}). */
    public static String render(Map<String, Object> tree) {
        ObjectMapper om = new ObjectMapper();
        String data;
        Map<String, Object> t;
        try {
            data = om.writeValueAsString(tree);
            @SuppressWarnings("unchecked")
            Map<String, Object> plain = om.readValue(data, LinkedHashMap.class);
            t = plain;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot embed results: " + e.getMessage(), e);
        }
        data = data.replace("</", "<\\/").replace("<!--", "<\\!--");
        String chart = chartJs();
        String js = resource("/dev/apportion/bench/report/report.js");
        String css = resource("/dev/apportion/bench/report/report.css");
        if (js == null || css == null) throw new IllegalStateException("missing resource report.js or report.css");
        Page p = new Page(t);
        String suiteName = str(p.suite.get("name"));
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
        p.header(b);
        b.append("<main class=\"wrap\">\n");
        p.glance(b);
        p.leaderboard(b);
        p.claims(b);
        p.tasks(b);
        p.bsuite(b);
        p.skipped(b);
        p.estimators(b);
        p.signals(b);
        p.provenance(b);
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
    private static final class Page {
        final Map<String, Object> t;
        final Map<String, Object> prov;
        final Map<String, Object> suite;
        final List<Object> tasks;
        /** label -> "oracle", "random" or "baseline" (outcome-level baselines); absent for the others. */
        final Map<String, String> roles = new LinkedHashMap<>();

        final Map<String, String> titles = new LinkedHashMap<>();
        final Map<String, String> taskAnchors = new LinkedHashMap<>();
        /** Tasks the leaderboard averages over: the suite's leaderboard tasks, or every suite task when the run selected none. */
        final int leaderboardTasks;

        final String leaderboardScope;

        Page(Map<String, Object> t) {
            this.t = t;
            prov = map(t.get("provenance"));
            suite = map(prov.get("suite"));
            tasks = list(t.get("tasks"));
            for (Object b : list(map(map(t.get("report")).get("baselines")).get("outcome_level_baselines")))
                roles.put(str(b), "baseline");
            for (Object o : list(t.get("estimators"))) {
                Map<String, Object> e = map(o);
                String label = str(e.get("label"));
                String id = str(e.get("registry_id"));
                if (id.equals("oracle") || id.equals("random")) roles.put(label, id);
                titles.put(label, str(e.get("title")));
            }
            Set<String> taken = new HashSet<>();
            int lb = 0;
            int inSuite = 0;
            for (Object o : tasks) {
                Map<String, Object> task = map(o);
                taskAnchors.put(str(task.get("id")), Html.slug("task-", str(task.get("id")), taken));
                if (bool(task.get("in_suite"))) {
                    inSuite++;
                    if (bool(task.get("leaderboard"))) lb++;
                }
            }
            leaderboardTasks = lb > 0 ? lb : inSuite;
            leaderboardScope = lb > 0 ? "leaderboard tasks" : "suite tasks (this run selected no leaderboard task)";
        }

        String role(String label) {
            return roles.getOrDefault(label, "");
        }

        /** The estimator's name with its title as tooltip and a badge for references and baselines. */
        String name(String label) {
            StringBuilder b = new StringBuilder("<span class=\"est\" title=\"")
                    .append(esc(titles.getOrDefault(label, "")))
                    .append("\">")
                    .append(esc(label))
                    .append("</span>");
            switch (role(label)) {
                case "oracle" ->
                    b.append(
                            "<span class=\"badge oracle\" title=\"exact true advantage: the ceiling\">reference</span>");
                case "random" ->
                    b.append("<span class=\"badge random\" title=\"random credit: the floor\">reference</span>");
                case "baseline" ->
                    b.append("<span class=\"badge baseline\" title=\"outcome-level baseline\">baseline</span>");
                default -> {}
            }
            return b.toString();
        }

        /** The class attribute of a row of {@code role} ("oracle", "random", "baseline" or ""). */
        static String rowClass(String role) {
            if (role.isEmpty()) return "";
            return " class=\"" + (role.equals("baseline") ? "baseline" : "ref " + role) + "\"";
        }

        String taskLink(String id) {
            String a = taskAnchors.get(id);
            return a == null ? esc(id) : "<a href=\"#" + a + "\">" + esc(id) + "</a>";
        }

        void header(StringBuilder b) {
            String commit = str(prov.get("git_commit"));
            b.append("<header><div class=\"wrap\"><h1>apportion bench — ")
                    .append(esc(str(suite.get("name"))))
                    .append(" suite</h1>\n")
                    .append("<p class=\"lead\">")
                    .append(esc(str(suite.get("description"))))
                    .append("</p>\n")
                    .append("<p class=\"meta\">apportion ")
                    .append(esc(str(prov.get("apportion_version"))))
                    .append(" · commit <code title=\"")
                    .append(esc(commit))
                    .append("\">")
                    .append(esc(commit.isEmpty() ? "unknown" : commit.substring(0, Math.min(12, commit.length()))))
                    .append("</code>")
                    .append(" · root seed ")
                    .append(esc(str(prov.get("root_seed"))))
                    .append(" · credit-quality seeds ")
                    .append(esc(str(suite.get("seeds"))))
                    .append(" · learning seeds ")
                    .append(esc(str(suite.get("learning_seeds"))))
                    .append(" · <a href=\"#provenance\">full provenance</a></p>\n");
            List<Object> notes = list(suite.get("notes"));
            if (!notes.isEmpty()) {
                b.append("<ul class=\"notes\">");
                for (Object n : notes) b.append("<li>").append(esc(str(n))).append("</li>");
                b.append("</ul>\n");
            }
            b.append("</div></header>\n<nav class=\"toc\" aria-label=\"sections\"><div class=\"wrap\">");
            for (Map.Entry<String, String> e : SECTIONS.entrySet()) {
                b.append("<a href=\"#")
                        .append(e.getKey())
                        .append("\">")
                        .append(esc(e.getValue()))
                        .append("</a>");
            }
            b.append("</div></nav>\n");
        }

        void glance(StringBuilder b) {
            int inSuite = 0;
            for (Object o : tasks) if (bool(map(o).get("in_suite"))) inSuite++;
            Map<String, Integer> status = new TreeMap<>();
            for (Object o : list(t.get("claims"))) status.merge(str(map(o).get("status")), 1, Integer::sum);
            StringBuilder cs = new StringBuilder();
            for (Map.Entry<String, Integer> e : status.entrySet()) {
                if (cs.length() > 0) cs.append(' ');
                cs.append("<span class=\"status ")
                        .append(esc(e.getKey().replace(' ', '-')))
                        .append("\">")
                        .append(e.getValue())
                        .append(' ')
                        .append(esc(e.getKey()))
                        .append("</span>");
            }
            Map<String, Object> timing = map(t.get("timing"));
            b.append("<div class=\"glance\">")
                    .append("<div><b>")
                    .append(tasks.size())
                    .append("</b><span>task configurations (")
                    .append(inSuite)
                    .append(" in the suite, ")
                    .append(leaderboardTasks)
                    .append(" on the leaderboard)</span></div>")
                    .append("<div><b>")
                    .append(list(t.get("estimators")).size())
                    .append("</b><span>estimators</span></div>")
                    .append("<div><b>")
                    .append(list(t.get("skipped")).size())
                    .append("</b><span>skipped estimator × task pairs</span></div>")
                    .append("<div><b>")
                    .append(list(t.get("claims")).size())
                    .append("</b><span>claims ")
                    .append(cs)
                    .append("</span></div>")
                    .append("<div><b>")
                    .append(Numbers.fixed(num(timing.get("total_seconds")), 0))
                    .append(" s</b><span>run time on ")
                    .append(esc(str(timing.get("threads"))))
                    .append(" threads (wall clock)</span></div>")
                    .append("</div>\n");
        }

        // ---------------------------------------------------------------- leaderboard

        static final Map<String, String> METRIC_LABELS = Map.ofEntries(
                Map.entry("spearman", "rank corr."),
                Map.entry("spearman_pooled", "rank corr. (pooled)"),
                Map.entry("spearman_within_trajectory", "within traj."),
                Map.entry("spearman_within_decision", "within decision"),
                Map.entry("leakage_median", "leakage (median)"),
                Map.entry("return_auc", "return AUC"),
                Map.entry("sign_agreement", "sign agr."),
                Map.entry("auroc", "AUROC"),
                Map.entry("leakage", "leakage"),
                Map.entry("credit_noise", "credit noise"),
                Map.entry("learn_auc", "learn AUC"),
                Map.entry("final_success", "final success"),
                Map.entry("token_spearman", "token rank corr."),
                Map.entry("agent_spearman", "agent rank corr."));
        static final Map<String, String> METRIC_HELP = Map.ofEntries(
                Map.entry(
                        "spearman",
                        "Spearman rank correlation between turn credit and the exact true advantage (higher is better)"),
                Map.entry(
                        "sign_agreement",
                        "share of decisive turns whose credit has the sign of the true advantage (higher is better)"),
                Map.entry("auroc", "AUROC of |credit| separating decisive from irrelevant turns (higher is better)"),
                Map.entry(
                        "leakage",
                        "mean |credit| on irrelevant turns divided by that on decisive turns (lower is better)"),
                Map.entry(
                        "credit_noise",
                        "share of credit variance not explained by the (state, action) decision (lower is better)"),
                Map.entry("learn_auc", "area under the learning curve of exact success probability (higher is better)"),
                Map.entry("final_success", "exact success probability after the last update (higher is better)"));

        static String metricLabel(String m) {
            return METRIC_LABELS.getOrDefault(m, human(m));
        }

        static boolean lowerIsBetter(String m) {
            return m.contains("leakage") || m.contains("noise");
        }

        void leaderboard(StringBuilder b) {
            List<Object> rows = list(t.get("leaderboard"));
            b.append("<section class=\"top\" id=\"leaderboard\"><h2>Leaderboard</h2>\n");
            List<String> metrics = new ArrayList<>();
            for (Object o : rows) {
                for (String k : map(o).keySet()) {
                    if (!k.equals("estimator")
                            && !k.equals("tasks")
                            && !k.equals("tier")
                            && !k.endsWith("_ci")
                            && !metrics.contains(k)) {
                        metrics.add(k);
                    }
                }
            }
            int n = leaderboardTasks;
            b.append("<p class=\"note\">Each number is the mean over the ")
                    .append(n)
                    .append(' ')
                    .append(esc(leaderboardScope))
                    .append(
                            " of the per-task mean over seeds (leakage: the median over tasks); the small numbers are 95% intervals over ")
                    .append("seeds. Rows are ordered by pooled rank correlation with the exact ")
                    .append(
                            "true advantage, whatever their coverage; click a column heading to sort. ↓ marks metrics where lower is better. ")
                    .append(
                            "<i>tier</i>: outcome = rewards only; observable = also log-probs, a noisy critic / PRM / teacher, a verifier ")
                    .append(
                            "or extra rollouts (charged to the learning budget); privileged = exact solver quantities (references, or the ")
                    .append("signal_noise = 0 configuration). ")
                    .append(
                            "<i>ms / batch</i> is wall-clock time of <code>assign()</code> and is not reproducible.</p>\n")
                    .append(
                            "<div class=\"legend\"><span><span class=\"badge oracle\">reference</span> oracle: exact credit, the ceiling</span>")
                    .append("<span><span class=\"badge random\">reference</span> random: noise, the floor</span>")
                    .append(
                            "<span><span class=\"badge baseline\">baseline</span> outcome-level baselines (GRPO family)</span>")
                    .append("<span><span class=\"badge few\">k/")
                    .append(n)
                    .append(" tasks</span> ran on only some leaderboard tasks: ")
                    .append("its means cover those tasks only and do not compare with full rows</span></div>\n")
                    .append(
                            "<p class=\"controls js-only\"><label><input type=\"checkbox\" id=\"lb-full\"> show only estimators that ran on all ")
                    .append(n)
                    .append(" leaderboard tasks</label></p>\n");
            Map<String, Object> timing = map(map(t.get("timing")).get("assign_time_per_batch"));
            b.append("<div class=\"scroll\"><table class=\"num sortable lb\" id=\"leaderboard-table\"><thead><tr>")
                    .append(
                            "<th class=\"n\" data-type=\"num\" data-low=\"1\">#</th><th data-type=\"text\">estimator</th>")
                    .append("<th data-type=\"text\" title=\"inputs used: outcome, observable or privileged\">tier</th>")
                    .append(
                            "<th class=\"n\" data-type=\"num\" title=\"leaderboard tasks the estimator could run on\">tasks</th>");
            for (String m : metrics) {
                b.append("<th class=\"n\" data-type=\"num\"")
                        .append(lowerIsBetter(m) ? " data-low=\"1\"" : "")
                        .append(" title=\"")
                        .append(esc(METRIC_HELP.getOrDefault(m, human(m))))
                        .append("\">")
                        .append(esc(metricLabel(m)))
                        .append(lowerIsBetter(m) ? " ↓" : "")
                        .append("</th>");
            }
            b.append(
                            "<th class=\"n\" data-type=\"num\" title=\"wall-clock milliseconds per assign() call; not reproducible\">ms / batch</th>")
                    .append("</tr></thead><tbody>\n");
            List<String> none = new ArrayList<>();
            Set<String> onBoard = new HashSet<>();
            int rank = 0;
            for (Object o : rows) {
                Map<String, Object> r = map(o);
                String est = str(r.get("estimator"));
                onBoard.add(est);
                int k = (int) num(r.get("tasks"));
                if (k == 0) {
                    none.add(est);
                    continue;
                }
                rank++;
                String role = role(est);
                String cls = ((role.equals("oracle") || role.equals("random") ? "ref " + role : role)
                                + (k < n ? " few" : ""))
                        .trim();
                b.append("<tr")
                        .append(cls.isEmpty() ? "" : " class=\"" + cls + "\"")
                        .append(" data-full=\"")
                        .append(k >= n ? 1 : 0)
                        .append("\">")
                        .append("<td class=\"n\" data-v=\"")
                        .append(rank)
                        .append("\">")
                        .append(rank)
                        .append("</td>")
                        .append("<td class=\"est\" data-v=\"")
                        .append(esc(est))
                        .append("\">")
                        .append(name(est));
                if (k < n)
                    b.append("<span class=\"badge few\" title=\"ran on ")
                            .append(k)
                            .append(" of ")
                            .append(n)
                            .append(" leaderboard tasks\">")
                            .append(k)
                            .append('/')
                            .append(n)
                            .append(" tasks</span>");
                b.append("</td><td data-v=\"")
                        .append(esc(str(r.get("tier"))))
                        .append("\">")
                        .append(esc(str(r.get("tier"))))
                        .append("</td>");
                b.append("<td class=\"n\" data-v=\"")
                        .append(k)
                        .append("\">")
                        .append(k)
                        .append("</td>");
                for (String m : metrics) {
                    double v = num(r.get(m));
                    b.append("<td class=\"n");
                    if (!lowerIsBetter(m) && Double.isFinite(v)) {
                        b.append(" bar\" style=\"--w:")
                                .append(Numbers.fixed(Math.max(0, Math.min(1, v)) * 100, 1))
                                .append('%');
                    }
                    List<Object> ci = list(r.get(m + "_ci"));
                    String ciText = ci.size() == 2 && Double.isFinite(num(ci.get(0)))
                            ? "<br><span class=\"ci\">[" + Numbers.fixed(num(ci.get(0)), 2) + ", "
                                    + Numbers.fixed(num(ci.get(1)), 2) + "]</span>"
                            : "";
                    b.append("\" data-v=\"")
                            .append(key(v))
                            .append("\">")
                            .append(Numbers.fixed(v, 3))
                            .append(ciText)
                            .append("</td>");
                }
                double ms = num(map(timing.get(est)).get("ms_per_batch"));
                b.append("<td class=\"n\" data-v=\"")
                        .append(key(ms))
                        .append("\">")
                        .append(Numbers.fixed(ms, 2))
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
            if (!none.isEmpty()) {
                b.append(
                                "<p class=\"note\">Not run on any leaderboard task (each lacks a signal these tasks produce; see ")
                        .append("<a href=\"#skipped\">Skipped</a>): ")
                        .append(esc(String.join(", ", none)))
                        .append(".</p>\n");
            }
            List<String> claimOnly = new ArrayList<>();
            for (String label : titles.keySet()) if (!onBoard.contains(label)) claimOnly.add(label);
            if (!claimOnly.isEmpty()) {
                b.append("<p class=\"note\">Run only for the <a href=\"#claims\">claims</a>: ")
                        .append(esc(String.join(", ", claimOnly)))
                        .append(".</p>\n");
            }
            b.append("</section>\n");
        }

        // ---------------------------------------------------------------- claims

        static String expectation(String expect) {
            return switch (expect) {
                case "greater" -> "A − B &gt; 0";
                case "less" -> "A − B &lt; 0";
                case "decreasing" -> "first − last &gt; 0 (decreasing)";
                case "increasing" -> "first − last &lt; 0 (increasing)";
                case "did_greater" -> "(A last − first) − (B last − first) &gt; 0";
                case "did_less" -> "(A last − first) − (B last − first) &lt; 0";
                default -> esc(expect);
            };
        }

        void claims(StringBuilder b) {
            List<Object> claims = list(t.get("claims"));
            b.append("<section class=\"top\" id=\"claims\"><h2>Claims re-tested</h2>\n")
                    .append(
                            "<p class=\"note\">Each claim from a paper is re-tested on a controlled task. The difference is paired by seed ")
                    .append(
                            "(same task instances and batches); a row <b>holds</b> when its 95% interval lies on the expected side of 0, is ")
                    .append(
                            "<b>contradicted</b> when it lies on the other side, and is <b>inconclusive</b> otherwise. In the interval plot the ")
                    .append("shaded half is the expected side, the dashed line is 0.</p>\n");
            if (claims.isEmpty()) {
                b.append("<p>No claims were run.</p></section>\n");
                return;
            }
            b.append("<div class=\"scroll\"><table class=\"claims num\" id=\"claims-table\"><colgroup>")
                    .append("<col><col style=\"width:118px\"><col style=\"width:105px\"><col style=\"width:21%\">")
                    .append(
                            "<col style=\"width:135px\"><col style=\"width:186px\"><col style=\"width:105px\"></colgroup>")
                    .append(
                            "<thead><tr><th>claim</th><th>metric · expected</th><th>status</th><th>comparison · task</th>")
                    .append("<th>difference [95% CI]</th><th>interval vs 0</th><th>verdict</th></tr></thead><tbody>\n");
            for (Object o : claims) {
                Map<String, Object> c = map(o);
                String id = str(c.get("id"));
                String status = str(c.get("status"));
                List<Object> rows = list(c.get("rows"));
                int span = Math.max(1, rows.size());
                String expect = str(c.get("expect"));
                String head = "<td class=\"claim\" rowspan=\"" + span + "\"><b>" + esc(str(c.get("statement")))
                        + "</b><code>" + esc(id) + "</code>"
                        + (c.get("source") == null
                                ? ""
                                : "<span class=\"src\">" + esc(str(c.get("source"))) + "</span>")
                        + "</td>"
                        + "<td rowspan=\"" + span + "\">" + esc(str(c.get("metric"))) + "<br><span class=\"ci\">"
                        + expectation(expect) + "</span></td>"
                        + "<td rowspan=\"" + span + "\"><span class=\"status " + esc(status.replace(' ', '-')) + "\">"
                        + esc(status) + "</span></td>";
                b.append("<tr id=\"")
                        .append(esc(Html.slug("claim-", id, new HashSet<>())))
                        .append("\">")
                        .append(head);
                if (rows.isEmpty()) {
                    b.append("<td colspan=\"4\" class=\"err\">")
                            .append(esc(str(c.get("reason"))))
                            .append("</td></tr>\n");
                    continue;
                }
                double scale = 0;
                for (Object ro : rows) {
                    Map<String, Object> d = map(map(ro).get("difference"));
                    scale = Math.max(scale, Math.abs(num(d.get("mean"))));
                    for (Object x : list(d.get("ci95")))
                        if (Double.isFinite(num(x))) scale = Math.max(scale, Math.abs(num(x)));
                }
                boolean positive =
                        expect.equals("greater") || expect.equals("decreasing") || expect.equals("did_greater");
                for (int k = 0; k < rows.size(); k++) {
                    Map<String, Object> r = map(rows.get(k));
                    if (k > 0) b.append("<tr>");
                    Map<String, Object> d = map(r.get("difference"));
                    List<Object> ci = list(d.get("ci95"));
                    double lo = ci.size() == 2 ? num(ci.get(0)) : Double.NaN;
                    double hi = ci.size() == 2 ? num(ci.get(1)) : Double.NaN;
                    String verdict = str(r.get("verdict"));
                    b.append("<td>")
                            .append(esc(str(r.get("comparison"))))
                            .append("<br><span class=\"ci\">on ")
                            .append(claimTask(id, str(r.get("task"))))
                            .append("</span>")
                            .append(means(id, map(r.get("means"))))
                            .append("</td>")
                            .append("<td class=\"n\">")
                            .append(Numbers.small(num(d.get("mean"))))
                            .append("<br><span class=\"ci\">[")
                            .append(Numbers.small(lo))
                            .append(", ")
                            .append(Numbers.small(hi))
                            .append("]</span></td>")
                            .append("<td>")
                            .append(interval(num(d.get("mean")), lo, hi, scale, positive, verdict))
                            .append("</td>")
                            .append("<td><span class=\"status ")
                            .append(esc(verdict.replace(' ', '-')))
                            .append("\">")
                            .append(esc(verdict))
                            .append("</span><br><span class=\"ci\">p = ")
                            .append(Numbers.small(num(r.get("p_value"))))
                            .append(", Holm p = ")
                            .append(Numbers.small(num(r.get("p_holm"))))
                            .append("</span></td></tr>\n");
                }
            }
            b.append("</tbody></table></div></section>\n");
        }

        /** The task of a claim row, links to task sections, with the "claim:&lt;id&gt;" prefix dropped. */
        String claimTask(String claimId, String task) {
            String[] parts = task.split(" vs ", -1);
            List<String> out = new ArrayList<>();
            String prefix = "claim:" + claimId;
            for (String part : parts) {
                String shown = part.startsWith(prefix) ? part.substring(prefix.length()) : part;
                if (shown.isEmpty()) shown = "its own task";
                String a = taskAnchors.get(part);
                out.add(
                        a == null
                                ? esc(shown)
                                : "<a href=\"#" + a + "\" title=\"" + esc(part) + "\">" + esc(shown) + "</a>");
            }
            return String.join(" vs ", out);
        }

        static String means(String claimId, Map<String, Object> means) {
            if (means.isEmpty()) return "";
            List<String> parts = new ArrayList<>();
            String prefix = "claim:" + claimId;
            for (Map.Entry<String, Object> e : means.entrySet()) {
                String k = e.getKey().startsWith(prefix) ? e.getKey().substring(prefix.length()) : e.getKey();
                parts.add(esc(k) + " " + Numbers.fixed(num(e.getValue()), 3));
            }
            return "<br><span class=\"ci\">means: " + String.join(" · ", parts) + "</span>";
        }

        /**
         * The 95% interval and mean against 0, the expected side shaded: declared as data and drawn by
         * the shared components with the bundled Chart.js ({@code ApView.intervals}); the numbers
         * themselves are in the neighbouring cell, so the page reads without it.
         */
        static String interval(double mean, double lo, double hi, double scale, boolean positive, String verdict) {
            String col = switch (verdict) {
                case "holds" -> "#0072b2";
                case "contradicted" -> "#d55e00";
                default -> "#9a6700";
            };
            boolean ci = Double.isFinite(lo) && Double.isFinite(hi);
            String spec = "{\"mean\":" + (Double.isFinite(mean) ? Double.toString(mean) : "null")
                    + ",\"lo\":" + (ci ? Double.toString(lo) : "null") + ",\"hi\":"
                    + (ci ? Double.toString(hi) : "null")
                    + ",\"scale\":" + (Double.isFinite(scale) ? Double.toString(scale) : "0") + ",\"positive\":"
                    + positive
                    + ",\"colour\":\"" + col + "\"}";
            return "<div class=\"interval\" style=\"width:170px;height:26px\" role=\"img\" aria-label=\"95% interval "
                    + Numbers.small(lo) + " to " + Numbers.small(hi) + "\" data-ap-interval=\"" + esc(spec)
                    + "\"></div>";
        }

        // ---------------------------------------------------------------- tasks

        void tasks(StringBuilder b) {
            Map<String, Object> rep = map(t.get("report"));
            b.append("<section class=\"top\" id=\"tasks\"><h2>Tasks</h2>\n");
            if (rep.get("credit_quality_measure") != null) {
                b.append("<p class=\"note\"><b>Credit quality:</b> ")
                        .append(esc(str(rep.get("credit_quality_measure"))))
                        .append("</p>\n");
            }
            if (rep.get("credit_unit") != null) {
                b.append("<p class=\"note\"><b>Unit:</b> ")
                        .append(esc(str(rep.get("credit_unit"))))
                        .append("</p>\n");
            }
            List<Map<String, Object>> inSuite = new ArrayList<>();
            List<Map<String, Object>> byClaims = new ArrayList<>();
            for (Object o : tasks) (bool(map(o).get("in_suite")) ? inSuite : byClaims).add(map(o));
            b.append("<ul class=\"task-index\">");
            for (Map<String, Object> task : inSuite) {
                String id = str(task.get("id"));
                b.append("<li>")
                        .append(taskLink(id))
                        .append(" <span class=\"badge fam\">")
                        .append(esc(str(task.get("family"))))
                        .append("</span>")
                        .append(bool(task.get("leaderboard")) ? "<span class=\"badge lb\">leaderboard</span>" : "")
                        .append("</li>");
            }
            if (!byClaims.isEmpty())
                b.append("<li><a href=\"#claim-tasks\">")
                        .append(byClaims.size())
                        .append(" task configurations added by the claims</a></li>");
            b.append("</ul>\n");
            TaskSection ts = new TaskSection(this);
            for (Map<String, Object> task : inSuite) ts.render(b, task);
            if (!byClaims.isEmpty()) {
                b.append(
                                "<details class=\"claim-tasks\" id=\"claim-tasks\"><summary>Task configurations added by the claims (")
                        .append(byClaims.size())
                        .append(")</summary>\n");
                for (Map<String, Object> task : byClaims) ts.render(b, task);
                b.append("</details>\n");
            }
            b.append("</section>\n");
        }

        int taskIndex(Map<String, Object> task) {
            for (int i = 0; i < tasks.size(); i++) if (tasks.get(i) == task) return i;
            return -1;
        }

        // ---------------------------------------------------------------- bsuite

        void bsuite(StringBuilder b) {
            List<Object> bs = list(t.get("bsuite"));
            b.append("<section class=\"top\" id=\"bsuite\"><h2>bsuite scores</h2>\n");
            if (bs.isEmpty()) {
                b.append("<p>No bsuite experiments in this suite.</p></section>\n");
                return;
            }
            b.append(
                            "<p class=\"note\">bsuite's scoring formulas applied to the training episodes of the learning comparison (the suite's ")
                    .append("episode budget, not bsuite's). Hover a score for its per-setting values.</p>\n");
            Map<String, String> formulas = new LinkedHashMap<>();
            Map<String, Map<String, Map<String, Object>>> byEst = new TreeMap<>();
            for (Object o : bs) {
                Map<String, Object> s = map(o);
                String ex = str(s.get("experiment"));
                formulas.putIfAbsent(ex, str(s.get("formula")));
                byEst.computeIfAbsent(str(s.get("estimator")), k -> new LinkedHashMap<>())
                        .put(ex, s);
            }
            b.append("<ul class=\"notes\">");
            for (Map.Entry<String, String> e : formulas.entrySet()) {
                b.append("<li><b>")
                        .append(esc(e.getKey()))
                        .append("</b>: ")
                        .append(esc(e.getValue()))
                        .append("</li>");
            }
            b.append("</ul>\n<div class=\"scroll\"><table class=\"num sortable small\" id=\"bsuite-table\"><thead><tr>")
                    .append("<th data-type=\"text\">estimator</th>");
            for (String ex : formulas.keySet())
                b.append("<th class=\"n\" data-type=\"num\">").append(esc(ex)).append("</th>");
            b.append("<th class=\"n\" data-type=\"num\">mean</th></tr></thead><tbody>\n");
            for (Map.Entry<String, Map<String, Map<String, Object>>> e : byEst.entrySet()) {
                String role = role(e.getKey());
                b.append("<tr")
                        .append(rowClass(role))
                        .append('>')
                        .append("<td class=\"est\" data-v=\"")
                        .append(esc(e.getKey()))
                        .append("\">")
                        .append(name(e.getKey()))
                        .append("</td>");
                double sum = 0;
                int cnt = 0;
                for (String ex : formulas.keySet()) {
                    Map<String, Object> sc = e.getValue().get(ex);
                    if (sc == null) {
                        b.append("<td class=\"n\" data-v=\"\">–</td>");
                        continue;
                    }
                    double v = num(sc.get("score"));
                    if (Double.isFinite(v)) {
                        sum += v;
                        cnt++;
                    }
                    List<String> per = new ArrayList<>();
                    List<Object> settings = list(sc.get("settings"));
                    List<Object> values = list(sc.get("values"));
                    for (int i = 0; i < settings.size() && i < values.size(); i++) {
                        String st = str(settings.get(i));
                        int br = st.indexOf('[');
                        per.add((br >= 0 ? st.substring(br) : st) + " " + Numbers.fixed(num(values.get(i)), 3));
                    }
                    b.append("<td class=\"n bar\" style=\"--w:")
                            .append(Numbers.fixed(Double.isFinite(v) ? Math.max(0, Math.min(1, v)) * 100 : 0, 1))
                            .append("%\" data-v=\"")
                            .append(key(v))
                            .append("\" title=\"")
                            .append(esc(String.join("; ", per)))
                            .append("\">")
                            .append(Numbers.fixed(v, 2))
                            .append("</td>");
                }
                double mean = cnt == 0 ? Double.NaN : sum / cnt;
                b.append("<td class=\"n\" data-v=\"")
                        .append(key(mean))
                        .append("\">")
                        .append(Numbers.fixed(mean, 2))
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div></section>\n");
        }

        // ---------------------------------------------------------------- skipped, estimators, signals, provenance

        void skipped(StringBuilder b) {
            List<Object> sk = list(t.get("skipped"));
            b.append("<section class=\"top\" id=\"skipped\"><h2>Skipped estimators</h2>\n");
            if (sk.isEmpty()) {
                b.append("<p>None: every estimator ran on every task.</p></section>\n");
                return;
            }
            // (estimator, reason) -> phase -> tasks, in first-seen order
            Map<String, Map<String, Set<String>>> groups = new TreeMap<>();
            Map<String, String[]> keys = new LinkedHashMap<>();
            for (Object o : sk) {
                Map<String, Object> s = map(o);
                String k = str(s.get("estimator")) + "\u0000" + str(s.get("reason"));
                keys.putIfAbsent(k, new String[] {str(s.get("estimator")), str(s.get("reason"))});
                groups.computeIfAbsent(k, x -> new LinkedHashMap<>())
                        .computeIfAbsent(str(s.get("phase")), x -> new LinkedHashSet<>())
                        .add(str(s.get("task")));
            }
            b.append("<p class=\"note\">")
                    .append(sk.size())
                    .append(" estimator × task pairs did not run, grouped here by estimator and ")
                    .append(
                            "reason. A missing signal means the task does not simulate what the method needs; an <span class=\"err\">error</span> ")
                    .append(
                            "is a failure worth a look.</p>\n<div class=\"scroll\"><table class=\"small\" id=\"skipped-table\"><thead><tr>")
                    .append("<th>estimator</th><th>where</th><th>reason</th></tr></thead><tbody>\n");
            for (Map.Entry<String, Map<String, Set<String>>> g : groups.entrySet()) {
                String[] k = keys.get(g.getKey());
                StringBuilder where = new StringBuilder();
                for (Map.Entry<String, Set<String>> ph : g.getValue().entrySet()) {
                    if (where.length() > 0) where.append("<br>");
                    where.append(esc(ph.getKey())).append(" on ").append(where(ph.getValue()));
                }
                boolean err = k[1].startsWith("error");
                b.append("<tr><td>")
                        .append(name(k[0]))
                        .append("</td><td>")
                        .append(where)
                        .append("</td><td")
                        .append(err ? " class=\"err\"" : "")
                        .append(">")
                        .append(esc(k[1]))
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div></section>\n");
        }

        /** "all 11 suite tasks", "all 11 suite tasks except multi_agent" or the list of tasks, linked. */
        String where(Set<String> set) {
            Set<String> suiteTasks = new LinkedHashSet<>();
            for (Object o : tasks) if (bool(map(o).get("in_suite"))) suiteTasks.add(str(map(o).get("id")));
            List<String> missing = new ArrayList<>();
            for (String s : suiteTasks) if (!set.contains(s)) missing.add(taskLink(s));
            List<String> extra = new ArrayList<>();
            for (String s : set) if (!suiteTasks.contains(s)) extra.add(taskLink(s));
            int n = suiteTasks.size();
            if (n > 3 && missing.size() <= 3 && set.size() > missing.size()) {
                StringBuilder w = new StringBuilder("all ").append(n).append(" suite tasks");
                if (!missing.isEmpty()) w.append(" except ").append(String.join(", ", missing));
                if (!extra.isEmpty()) w.append("; also ").append(String.join(", ", extra));
                return w.toString();
            }
            List<String> links = new ArrayList<>();
            for (String s : set) links.add(taskLink(s));
            return set.size() + (set.size() == 1 ? " task: " : " tasks: ") + String.join(", ", links);
        }

        void estimators(StringBuilder b) {
            List<Object> ests = list(t.get("estimators"));
            b.append("<section class=\"top\" id=\"estimators\"><h2>Estimators</h2>\n")
                    .append("<details><summary>")
                    .append(ests.size())
                    .append(" estimators: titles, sources, kind, required signals and resolved parameters</summary>\n")
                    .append(
                            "<div class=\"scroll\"><table class=\"small sortable catalog\" id=\"estimators-table\"><colgroup>")
                    .append(
                            "<col style=\"width:13%\"><col style=\"width:37%\"><col style=\"width:13%\"><col style=\"width:13%\"><col style=\"width:24%\">")
                    .append(
                            "</colgroup><thead><tr><th data-type=\"text\">estimator</th><th data-type=\"text\">title and source</th>")
                    .append(
                            "<th data-type=\"text\" title=\"granularity · methodology · fidelity\">kind</th><th data-type=\"text\">requires</th>")
                    .append("<th data-type=\"text\">parameters</th></tr></thead><tbody>\n");
            for (Object o : ests) {
                Map<String, Object> e = map(o);
                String label = str(e.get("label"));
                List<String> ps = new ArrayList<>();
                for (Map.Entry<String, Object> p : map(e.get("resolved_params")).entrySet()) {
                    ps.add("<span class=\"chip\">" + esc(p.getKey()) + "=" + Html.value(p.getValue(), 99) + "</span>");
                }
                List<String> req = new ArrayList<>();
                for (Object r : list(e.get("requires"))) req.add("<code>" + esc(str(r)) + "</code>");
                b.append("<tr><td data-v=\"")
                        .append(esc(label))
                        .append("\">")
                        .append(name(label))
                        .append(
                                e.get("id") != null && !str(e.get("id")).equals(label)
                                        ? "<br><span class=\"ci\">" + esc(str(e.get("id"))) + "</span>"
                                        : "")
                        .append("</td><td>")
                        .append(esc(str(e.get("title"))))
                        .append("<br><span class=\"ci\">")
                        .append(esc(str(e.get("source"))))
                        .append("</span></td><td>")
                        .append(esc(str(e.get("granularity"))))
                        .append("<br><span class=\"ci\">")
                        .append(esc(str(e.get("methodology"))))
                        .append("<br>")
                        .append(esc(str(e.get("fidelity"))))
                        .append("</span></td><td>")
                        .append(req.isEmpty() ? "–" : String.join("<br>", req))
                        .append("</td><td><div class=\"chips\">")
                        .append(ps.isEmpty() ? "–" : String.join("", ps))
                        .append("</div></td></tr>\n");
            }
            b.append("</tbody></table></div></details></section>\n");
        }

        void signals(StringBuilder b) {
            List<Object> sg = list(t.get("signals"));
            b.append("<section class=\"top\" id=\"signals\"><h2>Signals the tasks produce</h2>\n")
                    .append(
                            "<div class=\"scroll\"><table class=\"small\"><thead><tr><th>level</th><th>name</th><th>definition</th></tr></thead><tbody>\n");
            for (Object o : sg) {
                Map<String, Object> s = map(o);
                b.append("<tr><td>")
                        .append(esc(str(s.get("level"))))
                        .append("</td><td><code>")
                        .append(esc(str(s.get("name"))))
                        .append("</code></td><td>")
                        .append(esc(str(s.get("definition"))))
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div></section>\n");
        }

        void provenance(StringBuilder b) {
            b.append("<section class=\"top\" id=\"provenance\"><h2>Provenance</h2>\n")
                    .append(
                            "<p class=\"note\">Everything needed to reproduce the numbers: the same version, commit, root seed and configuration ")
                    .append("give the same results; only the timing below differs between runs.</p>\n")
                    .append("<table class=\"kv small\" id=\"provenance-table\">");
            kv(b, "results format", esc(str(t.get("format"))) + " version " + esc(str(t.get("format_version"))));
            for (Map.Entry<String, Object> e : prov.entrySet()) {
                String v = e.getKey().equals("git_commit") && e.getValue() != null
                        ? "<code>" + esc(str(e.getValue())) + "</code>"
                        : Html.value(e.getValue(), 40);
                kv(b, human(e.getKey()), v);
            }
            kv(b, "Chart.js", esc(Provenance.chartJsVersion()) + " (inlined)");
            Map<String, Object> timing = new LinkedHashMap<>(map(t.get("timing")));
            timing.remove("assign_time_per_batch");
            kv(b, "timing (not reproducible)", Html.value(timing, 40));
            b.append("</table>\n");
            Map<String, Object> rep = map(t.get("report"));
            if (!rep.isEmpty()) {
                b.append("<h3>Reporting checklist</h3>\n<table class=\"kv small\" id=\"checklist-table\">");
                for (Map.Entry<String, Object> e : rep.entrySet())
                    kv(b, human(e.getKey()), Html.value(e.getValue(), 12));
                b.append("</table>\n");
            }
            b.append("</section>\n");
        }

        static void kv(StringBuilder b, String k, String v) {
            b.append("<tr><th>").append(esc(k)).append("</th><td>").append(v).append("</td></tr>\n");
        }
    }

    /** Writes one task configuration's section: facts, credit quality, learning, heat strips. */
    private static final class TaskSection {
        /** Estimators shown in a heat strip before "show all". */
        static final int HEAT_TOP = 10;

        final Page p;

        TaskSection(Page p) {
            this.p = p;
        }

        void render(StringBuilder b, Map<String, Object> task) {
            String id = str(task.get("id"));
            int index = p.taskIndex(task);
            b.append("<section class=\"task\" id=\"")
                    .append(p.taskAnchors.get(id))
                    .append("\" data-task=\"")
                    .append(index)
                    .append("\">")
                    .append("<h3>")
                    .append(esc(id))
                    .append(" <span class=\"badge fam\">")
                    .append(esc(str(task.get("family"))))
                    .append("</span>")
                    .append(bool(task.get("leaderboard")) ? "<span class=\"badge lb\">leaderboard</span>" : "")
                    .append(
                            task.get("bsuite") != null
                                    ? "<span class=\"badge fam\">bsuite " + esc(str(task.get("bsuite"))) + "</span>"
                                    : "")
                    .append("</h3>\n");
            facts(b, task);
            Map<String, Object> cq = map(task.get("credit_quality"));
            List<String> metrics = new ArrayList<>();
            for (Object m : list(task.get("credit_metrics"))) metrics.add(str(m));
            List<String> ok = ordered(cq, "spearman", false);
            List<String> skipped = new ArrayList<>();
            for (Map.Entry<String, Object> e : cq.entrySet())
                if (!str(map(e.getValue()).get("status")).equals("ok")) skipped.add(e.getKey());
            b.append("<h4>Credit quality <small>")
                    .append(ok.size())
                    .append(" estimators ran")
                    .append(skipped.isEmpty() ? "" : ", " + skipped.size() + " skipped")
                    .append(" · mean over ")
                    .append(esc(str(list(task.get("seeds")).size())))
                    .append(" seeds with 95% interval</small></h4>\n");
            if (!ok.isEmpty()) {
                b.append("<div class=\"credit-chart js-only\" data-task=\"")
                        .append(index)
                        .append("\"></div>\n")
                        .append("<details class=\"numbers\"><summary>All credit-quality numbers (")
                        .append(ok.size())
                        .append(
                                " estimators; click a column to sort)</summary>\n<div class=\"scroll\"><table class=\"num sortable small\"><thead><tr>")
                        .append("<th data-type=\"text\">estimator</th>");
                for (String m : metrics) {
                    b.append("<th class=\"n\" data-type=\"num\"")
                            .append(Page.lowerIsBetter(m) ? " data-low=\"1\"" : "")
                            .append(" title=\"")
                            .append(esc(Page.METRIC_HELP.getOrDefault(m, human(m))))
                            .append("\">")
                            .append(esc(Page.metricLabel(m)))
                            .append(Page.lowerIsBetter(m) ? " ↓" : "")
                            .append("</th>");
                }
                b.append("</tr></thead><tbody>\n");
                for (String est : ok) {
                    Map<String, Object> ms = map(map(cq.get(est)).get("metrics"));
                    b.append("<tr")
                            .append(rowClass(est))
                            .append("><td class=\"est\" data-v=\"")
                            .append(esc(est))
                            .append("\">")
                            .append(p.name(est))
                            .append("</td>");
                    for (String m : metrics) {
                        Map<String, Object> s = map(ms.get(m));
                        b.append("<td class=\"n\" data-v=\"")
                                .append(key(num(s.get("mean"))))
                                .append("\">")
                                .append(Html.meanCi(s, 3))
                                .append("</td>");
                    }
                    b.append("</tr>\n");
                }
                b.append("</tbody></table></div></details>\n");
            }
            if (!skipped.isEmpty()) {
                b.append(
                                "<p class=\"note\">Skipped on this task (see <a href=\"#skipped\">Skipped</a> for the reasons): ")
                        .append(esc(String.join(", ", skipped)))
                        .append(".</p>\n");
            }
            Map<String, Object> learning = map(task.get("learning"));
            if (!learning.isEmpty()) learning(b, task, index, learning);
            if (!list(task.get("examples")).isEmpty()) heat(b, task, ok);
            b.append("</section>\n");
        }

        String rowClass(String est) {
            return Page.rowClass(p.role(est));
        }

        /** Labels whose status is ok, ordered by the mean of {@code metric} (best first, NaN last, then by name). */
        static List<String> ordered(Map<String, Object> outcomes, String metric, boolean ascending) {
            List<String> ok = new ArrayList<>();
            for (Map.Entry<String, Object> e : outcomes.entrySet())
                if (str(map(e.getValue()).get("status")).equals("ok")) ok.add(e.getKey());
            ok.sort((a, c) -> {
                double x = num(map(map(map(outcomes.get(a)).get("metrics")).get(metric))
                        .get("mean"));
                double y = num(map(map(map(outcomes.get(c)).get("metrics")).get(metric))
                        .get("mean"));
                boolean nx = !Double.isFinite(x);
                boolean ny = !Double.isFinite(y);
                if (nx || ny) return nx == ny ? a.compareTo(c) : (nx ? 1 : -1);
                int r = ascending ? Double.compare(x, y) : Double.compare(y, x);
                return r != 0 ? r : a.compareTo(c);
            });
            return ok;
        }

        void facts(StringBuilder b, Map<String, Object> task) {
            Map<String, Object> explicit = map(task.get("explicit_knobs"));
            Map<String, Object> knobs = map(task.get("knobs"));
            b.append("<div class=\"chips\" title=\"task knobs; the ones set by the suite are highlighted\">");
            for (Map.Entry<String, Object> e : knobs.entrySet()) {
                b.append("<span class=\"chip")
                        .append(explicit.containsKey(e.getKey()) ? " explicit" : "")
                        .append("\">")
                        .append(esc(e.getKey()))
                        .append('=')
                        .append(Html.value(e.getValue(), 99))
                        .append("</span>");
            }
            b.append("</div>\n<dl class=\"facts\">");
            Map<String, Object> md = map(task.get("metadata"));
            Map<String, Object> hz = map(md.get("horizon"));
            if (!hz.isEmpty()) {
                fact(
                        b,
                        "horizon",
                        esc(str(hz.get("max_turns"))) + " turns · " + esc(str(hz.get("policy_tokens_per_turn")))
                                + " policy + "
                                + esc(str(hz.get("context_tokens_per_turn"))) + " context tokens per turn · at most "
                                + esc(str(hz.get("max_total_tokens")))
                                + " tokens");
            }
            Map<String, Object> rw = map(md.get("reward"));
            if (!rw.isEmpty()) {
                List<String> parts = new ArrayList<>();
                for (Object v : rw.values()) parts.add(esc(str(v)));
                fact(b, "reward", String.join(" · ", parts));
            }
            Map<String, Object> dec = map(md.get("decisive_steps"));
            if (!dec.isEmpty()) {
                fact(
                        b,
                        "decisive turns",
                        esc(str(dec.get("rule")))
                                + (list(dec.get("turns")).isEmpty()
                                        ? ""
                                        : " (turns " + Html.value(dec.get("turns"), 99) + ")"));
            }
            List<String> env = new ArrayList<>();
            if (md.get("observability") != null) env.add("observability " + esc(str(md.get("observability"))));
            if (md.containsKey("stochastic_transitions"))
                env.add(
                        bool(md.get("stochastic_transitions"))
                                ? "stochastic transitions"
                                : "deterministic transitions");
            if (md.get("states") != null) env.add(esc(str(md.get("states"))) + " states");
            Map<String, Object> ag = map(md.get("agents"));
            if (!ag.isEmpty() && num(ag.get("count")) > 1) env.add(esc(str(ag.get("count"))) + " agents");
            if (md.get("verifier") != null && !str(md.get("verifier")).equals("none"))
                env.add("verifier: " + esc(str(md.get("verifier"))));
            if (!env.isEmpty()) fact(b, "environment", String.join(" · ", env));
            b.append("</dl>\n");
        }

        static void fact(StringBuilder b, String k, String v) {
            b.append("<dt>").append(esc(k)).append("</dt><dd>").append(v).append("</dd>");
        }

        void learning(StringBuilder b, Map<String, Object> task, int index, Map<String, Object> learning) {
            List<String> ok = ordered(learning, "learn_auc", false);
            int skipped = learning.size() - ok.size();
            double opt =
                    ok.isEmpty() ? Double.NaN : num(map(learning.get(ok.get(0))).get("optimal_success"));
            b.append("<h4>Learning <small>")
                    .append(ok.size())
                    .append(" estimators ran")
                    .append(skipped == 0 ? "" : ", " + skipped + " skipped")
                    .append(" · exact success probability after every update, mean with 95% band")
                    .append(Double.isFinite(opt) ? " · optimal success " + Numbers.fixed(opt, 3) : "")
                    .append("</small></h4>\n");
            if (ok.isEmpty()) return;
            b.append("<div class=\"learn-chart js-only\" data-task=\"")
                    .append(index)
                    .append("\"></div>\n")
                    .append("<details class=\"numbers\"><summary>All learning numbers (")
                    .append(ok.size())
                    .append(
                            " estimators; click a column to sort)</summary>\n<div class=\"scroll\"><table class=\"num sortable small\"><thead><tr>")
                    .append("<th data-type=\"text\">estimator</th><th class=\"n\" data-type=\"num\">learn AUC</th>")
                    .append("<th class=\"n\" data-type=\"num\">final success</th>")
                    .append(
                            "<th class=\"n\" data-type=\"num\" data-low=\"1\" title=\"episodes until the success threshold, censored at the budget\">episodes to threshold ↓</th>")
                    .append(
                            "<th class=\"n\" data-type=\"num\" title=\"share of seeds that reached the threshold\">reached</th></tr></thead><tbody>\n");
            for (String est : ok) {
                Map<String, Object> ms = map(map(learning.get(est)).get("metrics"));
                b.append("<tr")
                        .append(rowClass(est))
                        .append("><td class=\"est\" data-v=\"")
                        .append(esc(est))
                        .append("\">")
                        .append(p.name(est))
                        .append("</td>");
                for (String m : List.of("learn_auc", "final_success")) {
                    b.append("<td class=\"n\" data-v=\"")
                            .append(key(num(map(ms.get(m)).get("mean"))))
                            .append("\">")
                            .append(Html.meanCi(ms.get(m), 3))
                            .append("</td>");
                }
                double ep = num(map(ms.get("episodes_to_threshold")).get("mean"));
                double re = num(map(ms.get("reached_threshold")).get("mean"));
                b.append("<td class=\"n\" data-v=\"")
                        .append(key(ep))
                        .append("\">")
                        .append(Numbers.fixed(ep, 0))
                        .append("</td>")
                        .append("<td class=\"n\" data-v=\"")
                        .append(key(re))
                        .append("\">")
                        .append(Numbers.fixed(re, 2))
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div></details>\n");
        }

        void heat(StringBuilder b, Map<String, Object> task, List<String> byRank) {
            List<Object> examples = list(task.get("examples"));
            List<String> rows = new ArrayList<>();
            Set<String> any = new LinkedHashSet<>();
            for (Object o : examples) any.addAll(map(map(o).get("credit")).keySet());
            for (String est : byRank) if (any.contains(est) && !p.role(est).equals("oracle")) rows.add(est);
            for (String est : any) if (!rows.contains(est) && !p.role(est).equals("oracle")) rows.add(est);
            b.append("<h4>Turn credit on example trajectories <small>seed 0, batch 0</small></h4>\n")
                    .append(
                            "<p class=\"note\">Each row is scaled to its own largest |credit|: <span class=\"scale\"></span> red negative, white 0, ")
                    .append(
                            "blue positive. ◆ marks decisive turns, · locally relevant ones. The first row is the exact truth (the oracle's credit); ")
                    .append("below it the estimators in order of rank correlation on this task")
                    .append(
                            rows.size() > HEAT_TOP
                                    ? " (top " + HEAT_TOP + " shown; the button shows all " + rows.size() + ")"
                                    : "")
                    .append(
                            ". Hover a cell for its value, a mark above the strip for the turn's state and action.</p>\n")
                    .append("<div class=\"heat\" data-top=\"")
                    .append(HEAT_TOP)
                    .append("\"><div class=\"strips\">\n");
            for (Object o : examples) {
                Map<String, Object> ex = map(o);
                List<Object> truth = list(ex.get("true_advantage"));
                List<Object> states = list(ex.get("states"));
                List<Object> actions = list(ex.get("actions"));
                List<Object> labels = list(ex.get("labels"));
                int n = truth.size();
                b.append("<figure class=\"strip\"><figcaption>")
                        .append(esc(str(ex.get("trajectory"))))
                        .append(" · ")
                        .append(bool(ex.get("success")) ? "success" : "failure")
                        .append(" · return ")
                        .append(Numbers.fixed(num(ex.get("return")), 2))
                        .append(
                                bool(ex.get("truncated"))
                                        ? " · first " + n + " turns"
                                        : n == 1 ? " · 1 turn" : " · " + n + " turns")
                        .append("</figcaption>")
                        .append("<div class=\"scroll\"><table class=\"strip ")
                        .append(n <= 12 ? "wide" : n <= 25 ? "mid" : "narrow")
                        .append("\"><thead><tr><th class=\"rowlabel\">turn</th>");
                int every = n <= 20 ? 1 : 5;
                for (int i = 0; i < n; i++)
                    b.append("<th>")
                            .append(i % every == 0 ? String.valueOf(i) : "")
                            .append("</th>");
                b.append("</tr><tr><th class=\"rowlabel\"></th>");
                for (int i = 0; i < n; i++) {
                    String l = i < labels.size() ? str(labels.get(i)) : "";
                    String tip = "turn " + i + ": " + (i < states.size() ? str(states.get(i)) : "") + " → "
                            + (i < actions.size() ? str(actions.get(i)) : "") + " (" + l + ")";
                    b.append("<th title=\"")
                            .append(esc(tip))
                            .append("\">")
                            .append(l.equals("decisive") ? "◆" : l.equals("local") ? "·" : "")
                            .append("</th>");
                }
                b.append("</tr></thead><tbody>\n");
                strip(b, "truth (oracle)", truth, "truth");
                Map<String, Object> credit = map(ex.get("credit"));
                int k = 0;
                for (String est : rows) {
                    if (!credit.containsKey(est)) continue;
                    strip(b, est, list(credit.get(est)), k++ >= HEAT_TOP ? "extra" : "");
                }
                b.append("</tbody></table></div></figure>\n");
            }
            b.append("</div>");
            if (rows.size() > HEAT_TOP) {
                b.append("<button type=\"button\" class=\"js-only heat-toggle\">show all ")
                        .append(rows.size())
                        .append(" estimators</button>");
            }
            b.append("</div>\n");
        }

        /** One row of a heat strip; the cell's tooltip holds its value (the column headings hold state and action). */
        static void strip(StringBuilder b, String label, List<Object> vals, String cls) {
            double mx = 1e-12;
            for (Object v : vals) if (Double.isFinite(num(v))) mx = Math.max(mx, Math.abs(num(v)));
            b.append("<tr")
                    .append(cls.isEmpty() ? "" : " class=\"" + cls + "\"")
                    .append("><th class=\"rowlabel\">")
                    .append(esc(label))
                    .append("</th>");
            for (Object o : vals) {
                double v = num(o);
                if (!Double.isFinite(v)) {
                    b.append("<td class=\"none\" title=\"no credit\"></td>");
                    continue;
                }
                int a = (int) Math.round(Math.min(1, Math.abs(v) / mx) * 255);
                b.append("<td style=\"background:")
                        .append(v >= 0 ? "#2166ac" : "#b2182b")
                        .append(String.format(Locale.ROOT, "%02x", a))
                        .append("\" title=\"")
                        .append(String.format(Locale.ROOT, "%.4g", v))
                        .append("\"></td>");
            }
            b.append("</tr>\n");
        }
    }
}
