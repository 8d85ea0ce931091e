package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

import java.util.ArrayList;
import java.util.List;

/** report.html: The tasks: an index of task configurations, then one {@link TaskSection} per task. */
final class TasksSection extends ReportPage {
    TasksSection(ReportPage page) {
        super(page);
    }

    // ---------------------------------------------------------------- tasks

    void render(StringBuilder b) {
        Checklist rep = t.report();
        b.append("<section class=\"top\" id=\"tasks\"><h2>Tasks</h2>\n");
        if (rep != null && rep.creditQualityMeasure() != null) {
            b.append("<p class=\"note\"><b>Credit quality:</b> ")
                    .append(esc(rep.creditQualityMeasure()))
                    .append("</p>\n");
        }
        if (rep != null && rep.creditUnit() != null) {
            b.append("<p class=\"note\"><b>Unit:</b> ")
                    .append(esc(rep.creditUnit()))
                    .append("</p>\n");
        }
        List<Results.Task> inSuite = new ArrayList<>();
        List<Results.Task> byClaims = new ArrayList<>();
        for (Results.Task task : tasks) (task.inSuite() ? inSuite : byClaims).add(task);
        b.append("<ul class=\"task-index\">");
        for (Results.Task task : inSuite) {
            String id = str(task.id());
            b.append("<li>")
                    .append(taskLink(id))
                    .append(" <span class=\"badge fam\">")
                    .append(esc(str(task.family())))
                    .append("</span>")
                    .append(task.leaderboard() ? "<span class=\"badge lb\">leaderboard</span>" : "")
                    .append("</li>");
        }
        if (!byClaims.isEmpty())
            b.append("<li><a href=\"#claim-tasks\">")
                    .append(byClaims.size())
                    .append(" task configurations added by the claims</a></li>");
        b.append("</ul>\n");
        TaskSection ts = new TaskSection(this);
        for (Results.Task task : inSuite) ts.render(b, task);
        if (!byClaims.isEmpty()) {
            b.append(
                            "<details class=\"claim-tasks\" id=\"claim-tasks\"><summary>Task configurations added by the claims (")
                    .append(byClaims.size())
                    .append(")</summary>\n");
            for (Results.Task task : byClaims) ts.render(b, task);
            b.append("</details>\n");
        }
        b.append("</section>\n");
    }
}
