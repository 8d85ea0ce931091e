package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

import dev.apportion.core.text.Numbers;
import java.util.Map;
import java.util.TreeMap;

/** report.html: "At a glance": counts of tasks, estimators, skipped pairs and claims by status, and the run time. */
final class GlanceSection extends ReportPage {
    GlanceSection(ReportPage page) {
        super(page);
    }

    void render(StringBuilder b) {
        int inSuite = 0;
        for (Results.Task task : tasks) if (task.inSuite()) inSuite++;
        Map<String, Integer> status = new TreeMap<>();
        for (Results.ClaimEntry c : t.claims()) status.merge(str(c.status()), 1, Integer::sum);
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
        Results.Timing timing = t.timing();
        b.append("<div class=\"glance\">")
                .append("<div><b>")
                .append(tasks.size())
                .append("</b><span>task configurations (")
                .append(inSuite)
                .append(" in the suite, ")
                .append(leaderboardTasks)
                .append(" on the leaderboard)</span></div>")
                .append("<div><b>")
                .append(t.estimators().size())
                .append("</b><span>estimators</span></div>")
                .append("<div><b>")
                .append(t.skipped().size())
                .append("</b><span>skipped estimator × task pairs</span></div>")
                .append("<div><b>")
                .append(t.claims().size())
                .append("</b><span>claims ")
                .append(cs)
                .append("</span></div>")
                .append("<div><b>")
                .append(Numbers.fixed(timing == null ? Double.NaN : timing.totalSeconds(), 0))
                .append(" s</b><span>run time on ")
                .append(esc(timing == null ? "" : str(timing.threads())))
                .append(" threads (wall clock)</span></div>")
                .append("</div>\n");
    }
}
