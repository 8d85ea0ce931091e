package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.human;
import static dev.apportion.bench.report.Html.str;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What every section renderer of report.html shares: the typed results and their provenance, suite
 * and tasks, each estimator's role (reference, baseline) and title, the task anchors, and the
 * helpers that name estimators, metrics and tasks. A section renderer extends it and shares the
 * same objects ({@link #ReportPage(ReportPage)}).
 */
class ReportPage {
    final Results t;
    final Results.RunProvenance prov;
    final Results.SuiteInfo suite;
    final List<Results.Task> tasks;
    /** label -> "oracle", "random" or "baseline" (outcome-level baselines); absent for the others. */
    final Map<String, String> roles;

    final Map<String, String> titles;
    final Map<String, String> taskAnchors;
    /** Tasks the leaderboard averages over: the suite's leaderboard tasks, or every suite task when the run selected none. */
    final int leaderboardTasks;

    final String leaderboardScope;

    ReportPage(Results t) {
        this.t = t;
        roles = new LinkedHashMap<>();
        titles = new LinkedHashMap<>();
        taskAnchors = new LinkedHashMap<>();
        prov = t.provenance() != null
                ? t.provenance()
                : new Results.RunProvenance(null, null, null, 0, null, null, null);
        suite = prov.suite() != null
                ? prov.suite()
                : new Results.SuiteInfo(null, null, 0, 0, 0, 0, 0, Double.NaN, null, List.of());
        tasks = t.tasks();
        if (t.report() != null && t.report().baselines() != null)
            for (String b : Results.orEmpty(t.report().baselines().outcomeLevelBaselines()))
                roles.put(str(b), "baseline");
        for (Results.EstimatorEntry e : t.estimators()) {
            String label = str(e.label());
            String id = str(e.registryId());
            if (id.equals("oracle") || id.equals("random")) roles.put(label, id);
            titles.put(label, str(e.title()));
        }
        Set<String> taken = new HashSet<>();
        int lb = 0;
        int inSuite = 0;
        for (Results.Task task : tasks) {
            taskAnchors.put(str(task.id()), Html.slug("task-", str(task.id()), taken));
            if (task.inSuite()) {
                inSuite++;
                if (task.leaderboard()) lb++;
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
                b.append("<span class=\"badge oracle\" title=\"exact true advantage: the ceiling\">reference</span>");
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
                    "leakage", "mean |credit| on irrelevant turns divided by that on decisive turns (lower is better)"),
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

    static void kv(StringBuilder b, String k, String v) {
        b.append("<tr><th>").append(esc(k)).append("</th><td>").append(v).append("</td></tr>\n");
    }

    int taskIndex(Results.Task task) {
        for (int i = 0; i < tasks.size(); i++) if (tasks.get(i) == task) return i;
        return -1;
    }

    /** A renderer over the same page: every field is the other page's object. */
    ReportPage(ReportPage other) {
        this.t = other.t;
        this.prov = other.prov;
        this.suite = other.suite;
        this.tasks = other.tasks;
        this.roles = other.roles;
        this.titles = other.titles;
        this.taskAnchors = other.taskAnchors;
        this.leaderboardTasks = other.leaderboardTasks;
        this.leaderboardScope = other.leaderboardScope;
    }
}
