package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.human;
import static dev.apportion.bench.report.Html.key;
import static dev.apportion.bench.report.Html.num;
import static dev.apportion.bench.report.Html.str;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.apportion.core.text.Numbers;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
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

    void render(StringBuilder b, Results.Task task) {
        String id = str(task.id());
        int index = p.taskIndex(task);
        b.append("<section class=\"task\" id=\"")
                .append(p.taskAnchors.get(id))
                .append("\" data-task=\"")
                .append(index)
                .append("\">")
                .append("<h3>")
                .append(esc(id))
                .append(" <span class=\"badge fam\">")
                .append(esc(str(task.family())))
                .append("</span>")
                .append(task.leaderboard() ? "<span class=\"badge lb\">leaderboard</span>" : "")
                .append(
                        task.bsuite() != null
                                ? "<span class=\"badge fam\">bsuite " + esc(task.bsuite()) + "</span>"
                                : "")
                .append("</h3>\n");
        facts(b, task);
        Map<String, Results.CreditResult> cq = Results.orEmpty(task.creditQuality());
        List<String> metrics = new ArrayList<>();
        for (String m : Results.orEmpty(task.creditMetrics())) metrics.add(str(m));
        Map<String, Map<String, Results.Stat>> okMetrics = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        for (Map.Entry<String, Results.CreditResult> e : cq.entrySet()) {
            if (e.getValue().ok())
                okMetrics.put(e.getKey(), Results.orEmpty(e.getValue().metrics()));
            else skipped.add(e.getKey());
        }
        List<String> ok = ordered(okMetrics, "spearman", false);
        b.append("<h4>Credit quality <small>")
                .append(ok.size())
                .append(" estimators ran")
                .append(skipped.isEmpty() ? "" : ", " + skipped.size() + " skipped")
                .append(" · mean over ")
                .append(esc(str(task.seeds() == null ? 0 : task.seeds().length)))
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
                Map<String, Results.Stat> ms = okMetrics.get(est);
                b.append("<tr")
                        .append(rowClass(est))
                        .append("><td class=\"est\" data-v=\"")
                        .append(esc(est))
                        .append("\">")
                        .append(p.name(est))
                        .append("</td>");
                for (String m : metrics) {
                    Results.Stat s = ms.get(m);
                    b.append("<td class=\"n\" data-v=\"")
                            .append(key(s == null ? Double.NaN : s.mean()))
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
        Map<String, Results.LearningResult> learning = Results.orEmpty(task.learning());
        if (!learning.isEmpty()) learning(b, index, learning);
        if (!Results.orEmpty(task.examples()).isEmpty()) heat(b, task, ok);
        b.append("</section>\n");
    }

    String rowClass(String est) {
        return ReportPage.rowClass(p.role(est));
    }

    /**
     * The labels of {@code okMetrics} (the estimators whose status is ok, with their metrics)
     * ordered by the mean of {@code metric} (best first, NaN last, then by name).
     */
    static List<String> ordered(Map<String, Map<String, Results.Stat>> okMetrics, String metric, boolean ascending) {
        List<String> ok = new ArrayList<>(okMetrics.keySet());
        ok.sort((a, c) -> {
            double x = mean(okMetrics.get(a).get(metric));
            double y = mean(okMetrics.get(c).get(metric));
            boolean nx = !Double.isFinite(x);
            boolean ny = !Double.isFinite(y);
            if (nx || ny) return nx == ny ? a.compareTo(c) : (nx ? 1 : -1);
            int r = ascending ? Double.compare(x, y) : Double.compare(y, x);
            return r != 0 ? r : a.compareTo(c);
        });
        return ok;
    }

    static double mean(Results.Stat s) {
        return s == null ? Double.NaN : s.mean();
    }

    /** An open JSON object of the results (knobs, metadata), or a missing node when the file has none. */
    private static JsonNode obj(JsonNode n) {
        return n == null ? MissingNode.getInstance() : n;
    }

    /** A value that is there and not null (a present key with a null value counts as absent, as before). */
    private static boolean present(JsonNode n) {
        return !n.isMissingNode() && !n.isNull();
    }

    void facts(StringBuilder b, Results.Task task) {
        JsonNode explicit = obj(task.explicitKnobs());
        JsonNode knobs = obj(task.knobs());
        b.append("<div class=\"chips\" title=\"task knobs; the ones set by the suite are highlighted\">");
        for (Iterator<Map.Entry<String, JsonNode>> it = knobs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            b.append("<span class=\"chip")
                    .append(explicit.has(e.getKey()) ? " explicit" : "")
                    .append("\">")
                    .append(esc(e.getKey()))
                    .append('=')
                    .append(Html.value(e.getValue(), 99))
                    .append("</span>");
        }
        b.append("</div>\n<dl class=\"facts\">");
        JsonNode md = obj(task.metadata());
        JsonNode hz = md.path("horizon");
        if (hz.isObject() && !hz.isEmpty()) {
            fact(
                    b,
                    "horizon",
                    esc(str(hz.get("max_turns"))) + " turns · " + esc(str(hz.get("policy_tokens_per_turn")))
                            + " policy + "
                            + esc(str(hz.get("context_tokens_per_turn"))) + " context tokens per turn · at most "
                            + esc(str(hz.get("max_total_tokens")))
                            + " tokens");
        }
        JsonNode rw = md.path("reward");
        if (rw.isObject() && !rw.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (JsonNode v : rw) parts.add(esc(str(v)));
            fact(b, "reward", String.join(" · ", parts));
        }
        JsonNode dec = md.path("decisive_steps");
        if (dec.isObject() && !dec.isEmpty()) {
            fact(
                    b,
                    "decisive turns",
                    esc(str(dec.get("rule")))
                            + (!dec.path("turns").isArray() || dec.path("turns").isEmpty()
                                    ? ""
                                    : " (turns " + Html.value(dec.get("turns"), 99) + ")"));
        }
        List<String> env = new ArrayList<>();
        if (present(md.path("observability"))) env.add("observability " + esc(str(md.path("observability"))));
        if (md.has("stochastic_transitions"))
            env.add(
                    md.path("stochastic_transitions").isBoolean()
                                    && md.path("stochastic_transitions").booleanValue()
                            ? "stochastic transitions"
                            : "deterministic transitions");
        if (present(md.path("states"))) env.add(esc(str(md.path("states"))) + " states");
        JsonNode ag = md.path("agents");
        if (ag.isObject() && !ag.isEmpty() && num(ag.path("count")) > 1)
            env.add(esc(str(ag.path("count"))) + " agents");
        if (present(md.path("verifier")) && !str(md.path("verifier")).equals("none"))
            env.add("verifier: " + esc(str(md.path("verifier"))));
        if (!env.isEmpty()) fact(b, "environment", String.join(" · ", env));
        b.append("</dl>\n");
    }

    static void fact(StringBuilder b, String k, String v) {
        b.append("<dt>").append(esc(k)).append("</dt><dd>").append(v).append("</dd>");
    }

    void learning(StringBuilder b, int index, Map<String, Results.LearningResult> learning) {
        Map<String, Map<String, Results.Stat>> okMetrics = new LinkedHashMap<>();
        for (Map.Entry<String, Results.LearningResult> e : learning.entrySet())
            if (e.getValue().ok())
                okMetrics.put(e.getKey(), Results.orEmpty(e.getValue().metrics()));
        List<String> ok = ordered(okMetrics, "learn_auc", false);
        int skipped = learning.size() - ok.size();
        Double best = ok.isEmpty() ? null : learning.get(ok.get(0)).optimalSuccess();
        double opt = best == null ? Double.NaN : best;
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
            Map<String, Results.Stat> ms = okMetrics.get(est);
            b.append("<tr")
                    .append(rowClass(est))
                    .append("><td class=\"est\" data-v=\"")
                    .append(esc(est))
                    .append("\">")
                    .append(p.name(est))
                    .append("</td>");
            for (String m : List.of("learn_auc", "final_success")) {
                b.append("<td class=\"n\" data-v=\"")
                        .append(key(mean(ms.get(m))))
                        .append("\">")
                        .append(Html.meanCi(ms.get(m), 3))
                        .append("</td>");
            }
            double ep = mean(ms.get("episodes_to_threshold"));
            double re = mean(ms.get("reached_threshold"));
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

    void heat(StringBuilder b, Results.Task task, List<String> byRank) {
        List<Results.Example> examples = Results.orEmpty(task.examples());
        List<String> rows = new ArrayList<>();
        Set<String> any = new LinkedHashSet<>();
        for (Results.Example ex : examples)
            any.addAll(Results.orEmpty(ex.credit()).keySet());
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
        for (Results.Example ex : examples) {
            double[] truth = ex.trueAdvantage() == null ? new double[0] : ex.trueAdvantage();
            List<String> states = Results.orEmpty(ex.states());
            List<String> actions = Results.orEmpty(ex.actions());
            List<String> labels = Results.orEmpty(ex.labels());
            int n = truth.length;
            b.append("<figure class=\"strip\"><figcaption>")
                    .append(esc(str(ex.trajectory())))
                    .append(" · ")
                    .append(ex.success() ? "success" : "failure")
                    .append(" · return ")
                    .append(Numbers.fixed(ex.episodeReturn(), 2))
                    .append(ex.truncated() ? " · first " + n + " turns" : n == 1 ? " · 1 turn" : " · " + n + " turns")
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
            Map<String, double[]> credit = Results.orEmpty(ex.credit());
            int k = 0;
            for (String est : rows) {
                if (!credit.containsKey(est)) continue;
                strip(b, est, credit.get(est), k++ >= HEAT_TOP ? "extra" : "");
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
    static void strip(StringBuilder b, String label, double[] vals, String cls) {
        double mx = 1e-12;
        if (vals == null) vals = new double[0];
        for (double v : vals) if (Double.isFinite(v)) mx = Math.max(mx, Math.abs(v));
        b.append("<tr")
                .append(cls.isEmpty() ? "" : " class=\"" + cls + "\"")
                .append("><th class=\"rowlabel\">")
                .append(esc(label))
                .append("</th>");
        for (double v : vals) {
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
