package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** report.html: The estimator × task pairs the run skipped, with the reason. */
final class SkippedSection extends ReportPage {
    SkippedSection(ReportPage page) {
        super(page);
    }

    // ---------------------------------------------------------------- skipped, estimators, signals, provenance

    void render(StringBuilder b) {
        List<Results.Skip> sk = t.skipped();
        b.append("<section class=\"top\" id=\"skipped\"><h2>Skipped estimators</h2>\n");
        if (sk.isEmpty()) {
            b.append("<p>None: every estimator ran on every task.</p></section>\n");
            return;
        }
        // (estimator, reason) -> phase -> tasks, in first-seen order
        Map<String, Map<String, Set<String>>> groups = new TreeMap<>();
        Map<String, String[]> keys = new LinkedHashMap<>();
        for (Results.Skip s : sk) {
            String k = str(s.estimator()) + "\u0000" + str(s.reason());
            keys.putIfAbsent(k, new String[] {str(s.estimator()), str(s.reason())});
            groups.computeIfAbsent(k, x -> new LinkedHashMap<>())
                    .computeIfAbsent(str(s.phase()), x -> new LinkedHashSet<>())
                    .add(str(s.task()));
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
        for (Results.Task task : tasks) if (task.inSuite()) suiteTasks.add(str(task.id()));
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
}
