package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.bool;
import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.list;
import static dev.apportion.bench.report.Html.map;
import static dev.apportion.bench.report.Html.num;
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
}
