package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** report.html: The estimators of the run: id, label, title, parameters, signal tier. */
final class EstimatorsSection extends ReportPage {
    EstimatorsSection(ReportPage page) {
        super(page);
    }

    void render(StringBuilder b) {
        List<Results.EstimatorEntry> ests = t.estimators();
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
        for (Results.EstimatorEntry e : ests) {
            String label = str(e.label());
            List<String> ps = new ArrayList<>();
            if (e.resolvedParams() != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it =
                                e.resolvedParams().fields();
                        it.hasNext(); ) {
                    Map.Entry<String, JsonNode> p = it.next();
                    ps.add("<span class=\"chip\">" + esc(p.getKey()) + "=" + Html.value(p.getValue(), 99) + "</span>");
                }
            }
            List<String> req = new ArrayList<>();
            for (String r : Results.orEmpty(e.requires())) req.add("<code>" + esc(str(r)) + "</code>");
            b.append("<tr><td data-v=\"")
                    .append(esc(label))
                    .append("\">")
                    .append(name(label))
                    .append(
                            e.id() != null && !e.id().equals(label)
                                    ? "<br><span class=\"ci\">" + esc(e.id()) + "</span>"
                                    : "")
                    .append("</td><td>")
                    .append(esc(str(e.title())))
                    .append("<br><span class=\"ci\">")
                    .append(esc(str(e.source())))
                    .append("</span></td><td>")
                    .append(esc(str(e.granularity())))
                    .append("<br><span class=\"ci\">")
                    .append(esc(str(e.methodology())))
                    .append("<br>")
                    .append(esc(str(e.fidelity())))
                    .append("</span></td><td>")
                    .append(req.isEmpty() ? "–" : String.join("<br>", req))
                    .append("</td><td><div class=\"chips\">")
                    .append(ps.isEmpty() ? "–" : String.join("", ps))
                    .append("</div></td></tr>\n");
        }
        b.append("</tbody></table></div></details></section>\n");
    }
}
