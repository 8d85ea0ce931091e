package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

/** report.html: The signals each estimator saw. */
final class SignalsSection extends ReportPage {
    SignalsSection(ReportPage page) {
        super(page);
    }

    void render(StringBuilder b) {

        b.append("<section class=\"top\" id=\"signals\"><h2>Signals the tasks produce</h2>\n")
                .append(
                        "<div class=\"scroll\"><table class=\"small\"><thead><tr><th>level</th><th>name</th><th>definition</th></tr></thead><tbody>\n");
        for (Results.Signal s : t.signals()) {
            b.append("<tr><td>")
                    .append(esc(str(s.level())))
                    .append("</td><td><code>")
                    .append(esc(str(s.name())))
                    .append("</code></td><td>")
                    .append(esc(str(s.definition())))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table></div></section>\n");
    }
}
