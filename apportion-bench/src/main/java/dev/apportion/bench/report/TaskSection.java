package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.bool;
import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.human;
import static dev.apportion.bench.report.Html.key;
import static dev.apportion.bench.report.Html.list;
import static dev.apportion.bench.report.Html.map;
import static dev.apportion.bench.report.Html.num;
import static dev.apportion.bench.report.Html.str;

import dev.apportion.core.text.Numbers;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** report.html: the section of one task configuration (facts, credit-quality table, learning curves, heat strips). */
final class TaskSection {
    /** Estimators shown in a heat strip before "show all". */
    static final int HEAT_TOP = 10;

    final ReportPage p;

    TaskSection(ReportPage p) {
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
                        .append(ReportPage.lowerIsBetter(m) ? " data-low=\"1\"" : "")
                        .append(" title=\"")
                        .append(esc(ReportPage.METRIC_HELP.getOrDefault(m, human(m))))
                        .append("\">")
                        .append(esc(ReportPage.metricLabel(m)))
                        .append(ReportPage.lowerIsBetter(m) ? " ↓" : "")
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
            b.append("<p class=\"note\">Skipped on this task (see <a href=\"#skipped\">Skipped</a> for the reasons): ")
                    .append(esc(String.join(", ", skipped)))
                    .append(".</p>\n");
        }
        Map<String, Object> learning = map(task.get("learning"));
        if (!learning.isEmpty()) learning(b, task, index, learning);
        if (!list(task.get("examples")).isEmpty()) heat(b, task, ok);
        b.append("</section>\n");
    }

    String rowClass(String est) {
        return ReportPage.rowClass(p.role(est));
    }

    /** Labels whose status is ok, ordered by the mean of {@code metric} (best first, NaN last, then by name). */
    static List<String> ordered(Map<String, Object> outcomes, String metric, boolean ascending) {
        List<String> ok = new ArrayList<>();
        for (Map.Entry<String, Object> e : outcomes.entrySet())
            if (str(map(e.getValue()).get("status")).equals("ok")) ok.add(e.getKey());
        ok.sort((a, c) -> {
            double x = num(
                    map(map(map(outcomes.get(a)).get("metrics")).get(metric)).get("mean"));
            double y = num(
                    map(map(map(outcomes.get(c)).get("metrics")).get(metric)).get("mean"));
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
            env.add(bool(md.get("stochastic_transitions")) ? "stochastic transitions" : "deterministic transitions");
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
                .append(". Hover a cell for its value, a mark above the strip for the turn's state and action.</p>\n")
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
                b.append("<th>").append(i % every == 0 ? String.valueOf(i) : "").append("</th>");
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
