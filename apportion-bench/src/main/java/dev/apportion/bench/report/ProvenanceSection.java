package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.human;
import static dev.apportion.bench.report.Html.map;
import static dev.apportion.bench.report.Html.str;

import java.util.LinkedHashMap;
import java.util.Map;

/** report.html: The provenance of the run (version, commit, request, machine). */
final class ProvenanceSection extends ReportPage {
    ProvenanceSection(ReportPage page) {
        super(page);
    }

    void render(StringBuilder b) {
        b.append("<section class=\"top\" id=\"provenance\"><h2>Provenance</h2>\n")
                .append(
                        "<p class=\"note\">Everything needed to reproduce the numbers: the same version, commit, root seed and configuration ")
                .append("give the same results; only the timing below differs between runs.</p>\n")
                .append("<table class=\"kv small\" id=\"provenance-table\">");
        kv(b, "results format", esc(str(t.get("format"))) + " version " + esc(str(t.get("format_version"))));
        for (Map.Entry<String, Object> e : prov.entrySet()) {
            String v = e.getKey().equals("git_commit") && e.getValue() != null
                    ? "<code>" + esc(str(e.getValue())) + "</code>"
                    : Html.value(e.getValue(), 40);
            kv(b, human(e.getKey()), v);
        }
        kv(b, "Chart.js", esc(Provenance.chartJsVersion()) + " (inlined)");
        Map<String, Object> timing = new LinkedHashMap<>(map(t.get("timing")));
        timing.remove("assign_time_per_batch");
        kv(b, "timing (not reproducible)", Html.value(timing, 40));
        b.append("</table>\n");
        Map<String, Object> rep = map(t.get("report"));
        if (!rep.isEmpty()) {
            b.append("<h3>Reporting checklist</h3>\n<table class=\"kv small\" id=\"checklist-table\">");
            for (Map.Entry<String, Object> e : rep.entrySet()) kv(b, human(e.getKey()), Html.value(e.getValue(), 12));
            b.append("</table>\n");
        }
        b.append("</section>\n");
    }
}
