package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.human;
import static dev.apportion.bench.report.Html.key;
import static dev.apportion.bench.report.Html.str;

import dev.apportion.core.text.Numbers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** report.html: The leaderboard: estimators ranked over the leaderboard tasks, with filters and per-metric columns. */
final class LeaderboardSection extends ReportPage {
    LeaderboardSection(ReportPage page) {
        super(page);
    }

    void render(StringBuilder b) {
        List<Results.LeaderRow> rows = t.leaderboard();
        b.append("<section class=\"top\" id=\"leaderboard\"><h2>Leaderboard</h2>\n");
        List<String> metrics = new ArrayList<>();
        for (Results.LeaderRow r : rows) {
            for (String k : r.metrics().keySet()) if (!metrics.contains(k)) metrics.add(k);
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
                .append("<i>ms / batch</i> is wall-clock time of <code>assign()</code> and is not reproducible.</p>\n")
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
        Map<String, Results.BatchTime> timing =
                t.timing() == null ? Map.of() : Results.orEmpty(t.timing().assignTimePerBatch());
        b.append("<div class=\"scroll\"><table class=\"num sortable lb\" id=\"leaderboard-table\"><thead><tr>")
                .append("<th class=\"n\" data-type=\"num\" data-low=\"1\">#</th><th data-type=\"text\">estimator</th>")
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
        for (Results.LeaderRow r : rows) {
            String est = str(r.estimator());
            onBoard.add(est);
            int k = r.tasks();
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
                    .append(esc(str(r.tier())))
                    .append("\">")
                    .append(esc(str(r.tier())))
                    .append("</td>");
            b.append("<td class=\"n\" data-v=\"")
                    .append(k)
                    .append("\">")
                    .append(k)
                    .append("</td>");
            for (String m : metrics) {
                Results.MetricValue mv = r.metrics().get(m);
                double v = mv == null ? Double.NaN : mv.mean();
                b.append("<td class=\"n");
                if (!lowerIsBetter(m) && Double.isFinite(v)) {
                    b.append(" bar\" style=\"--w:")
                            .append(Numbers.fixed(Math.max(0, Math.min(1, v)) * 100, 1))
                            .append('%');
                }
                String ciText = mv != null && Double.isFinite(mv.lo())
                        ? "<br><span class=\"ci\">[" + Numbers.fixed(mv.lo(), 2) + ", " + Numbers.fixed(mv.hi(), 2)
                                + "]</span>"
                        : "";
                b.append("\" data-v=\"")
                        .append(key(v))
                        .append("\">")
                        .append(Numbers.fixed(v, 3))
                        .append(ciText)
                        .append("</td>");
            }
            Results.BatchTime bt = timing.get(est);
            double ms = bt == null ? Double.NaN : bt.msPerBatch();
            b.append("<td class=\"n\" data-v=\"")
                    .append(key(ms))
                    .append("\">")
                    .append(Numbers.fixed(ms, 2))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table></div>\n");
        if (!none.isEmpty()) {
            b.append("<p class=\"note\">Not run on any leaderboard task (each lacks a signal these tasks produce; see ")
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
}
