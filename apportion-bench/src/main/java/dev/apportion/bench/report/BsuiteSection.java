package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.key;
import static dev.apportion.bench.report.Html.str;

import dev.apportion.core.text.Numbers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** report.html: The bsuite-style summary: one score per estimator and capability. */
final class BsuiteSection extends ReportPage {
    BsuiteSection(ReportPage page) {
        super(page);
    }

    // ---------------------------------------------------------------- bsuite

    void render(StringBuilder b) {
        List<Results.BsuiteRow> bs = t.bsuite();
        b.append("<section class=\"top\" id=\"bsuite\"><h2>bsuite scores</h2>\n");
        if (bs.isEmpty()) {
            b.append("<p>No bsuite experiments in this suite.</p></section>\n");
            return;
        }
        b.append(
                        "<p class=\"note\">bsuite's scoring formulas applied to the training episodes of the learning comparison (the suite's ")
                .append("episode budget, not bsuite's). Hover a score for its per-setting values.</p>\n");
        Map<String, String> formulas = new LinkedHashMap<>();
        Map<String, Map<String, Results.BsuiteRow>> byEst = new TreeMap<>();
        for (Results.BsuiteRow s : bs) {
            String ex = str(s.experiment());
            formulas.putIfAbsent(ex, str(s.formula()));
            byEst.computeIfAbsent(str(s.estimator()), k -> new LinkedHashMap<>())
                    .put(ex, s);
        }
        b.append("<ul class=\"notes\">");
        for (Map.Entry<String, String> e : formulas.entrySet()) {
            b.append("<li><b>")
                    .append(esc(e.getKey()))
                    .append("</b>: ")
                    .append(esc(e.getValue()))
                    .append("</li>");
        }
        b.append("</ul>\n<div class=\"scroll\"><table class=\"num sortable small\" id=\"bsuite-table\"><thead><tr>")
                .append("<th data-type=\"text\">estimator</th>");
        for (String ex : formulas.keySet())
            b.append("<th class=\"n\" data-type=\"num\">").append(esc(ex)).append("</th>");
        b.append("<th class=\"n\" data-type=\"num\">mean</th></tr></thead><tbody>\n");
        for (Map.Entry<String, Map<String, Results.BsuiteRow>> e : byEst.entrySet()) {
            String role = role(e.getKey());
            b.append("<tr")
                    .append(rowClass(role))
                    .append('>')
                    .append("<td class=\"est\" data-v=\"")
                    .append(esc(e.getKey()))
                    .append("\">")
                    .append(name(e.getKey()))
                    .append("</td>");
            double sum = 0;
            int cnt = 0;
            for (String ex : formulas.keySet()) {
                Results.BsuiteRow sc = e.getValue().get(ex);
                if (sc == null) {
                    b.append("<td class=\"n\" data-v=\"\">–</td>");
                    continue;
                }
                double v = sc.score();
                if (Double.isFinite(v)) {
                    sum += v;
                    cnt++;
                }
                List<String> per = new ArrayList<>();
                List<String> settings = Results.orEmpty(sc.settings());
                double[] values = sc.values() == null ? new double[0] : sc.values();
                for (int i = 0; i < settings.size() && i < values.length; i++) {
                    String st = str(settings.get(i));
                    int br = st.indexOf('[');
                    per.add((br >= 0 ? st.substring(br) : st) + " " + Numbers.fixed(values[i], 3));
                }
                b.append("<td class=\"n bar\" style=\"--w:")
                        .append(Numbers.fixed(Double.isFinite(v) ? Math.max(0, Math.min(1, v)) * 100 : 0, 1))
                        .append("%\" data-v=\"")
                        .append(key(v))
                        .append("\" title=\"")
                        .append(esc(String.join("; ", per)))
                        .append("\">")
                        .append(Numbers.fixed(v, 2))
                        .append("</td>");
            }
            double mean = cnt == 0 ? Double.NaN : sum / cnt;
            b.append("<td class=\"n\" data-v=\"")
                    .append(key(mean))
                    .append("\">")
                    .append(Numbers.fixed(mean, 2))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table></div></section>\n");
    }
}
