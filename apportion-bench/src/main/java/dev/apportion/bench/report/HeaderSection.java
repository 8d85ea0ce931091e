package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

import java.util.List;
import java.util.Map;

/** report.html: The page header (suite, version, commit, seeds, notes) and the section navigation. */
final class HeaderSection extends ReportPage {
    HeaderSection(ReportPage page) {
        super(page);
    }

    void render(StringBuilder b) {
        String commit = str(prov.gitCommit());
        b.append("<header><div class=\"wrap\"><h1>apportion bench — ")
                .append(esc(str(suite.name())))
                .append(" suite</h1>\n")
                .append("<p class=\"lead\">")
                .append(esc(str(suite.description())))
                .append("</p>\n")
                .append("<p class=\"meta\">apportion ")
                .append(esc(str(prov.apportionVersion())))
                .append(" · commit <code title=\"")
                .append(esc(commit))
                .append("\">")
                .append(esc(commit.isEmpty() ? "unknown" : commit.substring(0, Math.min(12, commit.length()))))
                .append("</code>")
                .append(" · root seed ")
                .append(esc(str(prov.rootSeed())))
                .append(" · credit-quality seeds ")
                .append(esc(str(suite.seeds())))
                .append(" · learning seeds ")
                .append(esc(str(suite.learningSeeds())))
                .append(" · <a href=\"#provenance\">full provenance</a></p>\n");
        List<String> notes = Results.orEmpty(suite.notes());
        if (!notes.isEmpty()) {
            b.append("<ul class=\"notes\">");
            for (String n : notes) b.append("<li>").append(esc(str(n))).append("</li>");
            b.append("</ul>\n");
        }
        b.append("</div></header>\n<nav class=\"toc\" aria-label=\"sections\"><div class=\"wrap\">");
        for (Map.Entry<String, String> e : HtmlReport.SECTIONS.entrySet()) {
            b.append("<a href=\"#")
                    .append(e.getKey())
                    .append("\">")
                    .append(esc(e.getValue()))
                    .append("</a>");
        }
        b.append("</div></nav>\n");
    }
}
