package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.list;
import static dev.apportion.bench.report.Html.map;
import static dev.apportion.bench.report.Html.str;

import java.util.List;
import java.util.Map;

/** report.html: The signals each estimator saw. */
final class SignalsSection extends ReportPage {
    SignalsSection(ReportPage page) {
        super(page);
    }

    void render(StringBuilder b) {
        List<Object> sg = list(t.get("signals"));
        b.append("<section class=\"top\" id=\"signals\"><h2>Signals the tasks produce</h2>\n")
                .append(
                        "<div class=\"scroll\"><table class=\"small\"><thead><tr><th>level</th><th>name</th><th>definition</th></tr></thead><tbody>\n");
        for (Object o : sg) {
            Map<String, Object> s = map(o);
            b.append("<tr><td>")
                    .append(esc(str(s.get("level"))))
                    .append("</td><td><code>")
                    .append(esc(str(s.get("name"))))
                    .append("</code></td><td>")
                    .append(esc(str(s.get("definition"))))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table></div></section>\n");
    }
}
