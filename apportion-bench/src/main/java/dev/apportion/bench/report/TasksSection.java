package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.bool;
import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.map;
import static dev.apportion.bench.report.Html.str;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** report.html: The tasks: an index of task configurations, then one {@link TaskSection} per task. */
final class TasksSection extends ReportPage {
    TasksSection(ReportPage page) {
        super(page);
    }

    // ---------------------------------------------------------------- tasks

    void render(StringBuilder b) {
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
}
