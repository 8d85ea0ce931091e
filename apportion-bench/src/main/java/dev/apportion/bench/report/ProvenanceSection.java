package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.human;
import static dev.apportion.bench.report.Html.str;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
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
        kv(b, "results format", esc(str(t.format())) + " version " + esc(str(t.formatVersion())));
        // the generic key/value rendering of provenance, timing and checklist walks their JSON form
        JsonNode provTree = tree(t.provenance());
        for (Iterator<Map.Entry<String, JsonNode>> it = provTree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String v = e.getKey().equals("git_commit") && !e.getValue().isNull()
                    ? "<code>" + esc(str(e.getValue())) + "</code>"
                    : Html.value(e.getValue(), 40);
            kv(b, human(e.getKey()), v);
        }
        kv(b, "Chart.js", esc(Provenance.chartJsVersion()) + " (inlined)");
        JsonNode timing = tree(t.timing());
        if (timing instanceof ObjectNode o) o.remove("assign_time_per_batch");
        kv(b, "timing (not reproducible)", Html.value(timing, 40));
        b.append("</table>\n");
        JsonNode rep = tree(t.report());
        if (rep.isObject() && !rep.isEmpty()) {
            b.append("<h3>Reporting checklist</h3>\n<table class=\"kv small\" id=\"checklist-table\">");
            for (Iterator<Map.Entry<String, JsonNode>> it = rep.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                kv(b, human(e.getKey()), Html.value(e.getValue(), 12));
            }
            b.append("</table>\n");
        }
        b.append("</section>\n");
    }

    /** A record as its JSON tree (as results.json holds it), or a missing node for null. */
    private static JsonNode tree(Object record) {
        return record == null
                ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                : ResultsJson.MAPPER.valueToTree(record);
    }
}
