package dev.apportion.bench.report;

import static dev.apportion.bench.report.Html.esc;
import static dev.apportion.bench.report.Html.str;

import dev.apportion.core.text.Numbers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/** report.html: The claims re-tested by the run: expectation, verdict, difference with its interval glyph, and the means. */
final class ClaimsSection extends ReportPage {
    ClaimsSection(ReportPage page) {
        super(page);
    }

    // ---------------------------------------------------------------- claims

    static String expectation(String expect) {
        return switch (expect) {
            case "greater" -> "A − B &gt; 0";
            case "less" -> "A − B &lt; 0";
            case "decreasing" -> "first − last &gt; 0 (decreasing)";
            case "increasing" -> "first − last &lt; 0 (increasing)";
            case "did_greater" -> "(A last − first) − (B last − first) &gt; 0";
            case "did_less" -> "(A last − first) − (B last − first) &lt; 0";
            default -> esc(expect);
        };
    }

    void render(StringBuilder b) {
        List<Results.ClaimEntry> claims = t.claims();
        b.append("<section class=\"top\" id=\"claims\"><h2>Claims re-tested</h2>\n")
                .append(
                        "<p class=\"note\">Each claim from a paper is re-tested on a controlled task. The difference is paired by seed ")
                .append(
                        "(same task instances and batches); a row <b>holds</b> when its 95% interval lies on the expected side of 0, is ")
                .append(
                        "<b>contradicted</b> when it lies on the other side, and is <b>inconclusive</b> otherwise. In the interval plot the ")
                .append("shaded half is the expected side, the dashed line is 0.</p>\n");
        if (claims.isEmpty()) {
            b.append("<p>No claims were run.</p></section>\n");
            return;
        }
        b.append("<div class=\"scroll\"><table class=\"claims num\" id=\"claims-table\"><colgroup>")
                .append("<col><col style=\"width:118px\"><col style=\"width:105px\"><col style=\"width:21%\">")
                .append("<col style=\"width:135px\"><col style=\"width:186px\"><col style=\"width:105px\"></colgroup>")
                .append("<thead><tr><th>claim</th><th>metric · expected</th><th>status</th><th>comparison · task</th>")
                .append("<th>difference [95% CI]</th><th>interval vs 0</th><th>verdict</th></tr></thead><tbody>\n");
        for (Results.ClaimEntry c : claims) {
            String id = str(c.id());
            String status = str(c.status());
            List<Results.ClaimRow> rows = Results.orEmpty(c.rows());
            int span = Math.max(1, rows.size());
            String expect = str(c.expect());
            String head = "<td class=\"claim\" rowspan=\"" + span + "\"><b>" + esc(str(c.statement()))
                    + "</b><code>" + esc(id) + "</code>"
                    + (c.source() == null ? "" : "<span class=\"src\">" + esc(str(c.source())) + "</span>")
                    + "</td>"
                    + "<td rowspan=\"" + span + "\">" + esc(str(c.metric())) + "<br><span class=\"ci\">"
                    + expectation(expect) + "</span></td>"
                    + "<td rowspan=\"" + span + "\"><span class=\"status " + esc(status.replace(' ', '-')) + "\">"
                    + esc(status) + "</span></td>";
            b.append("<tr id=\"")
                    .append(esc(Html.slug("claim-", id, new HashSet<>())))
                    .append("\">")
                    .append(head);
            if (rows.isEmpty()) {
                b.append("<td colspan=\"4\" class=\"err\">")
                        .append(esc(str(c.reason())))
                        .append("</td></tr>\n");
                continue;
            }
            double scale = 0;
            for (Results.ClaimRow ro : rows) {
                Results.Stat d = ro.difference();
                scale = Math.max(scale, Math.abs(d == null ? Double.NaN : d.mean()));
                if (d != null && d.ci95() != null)
                    for (double x : d.ci95()) if (Double.isFinite(x)) scale = Math.max(scale, Math.abs(x));
            }
            boolean positive = expect.equals("greater") || expect.equals("decreasing") || expect.equals("did_greater");
            for (int k = 0; k < rows.size(); k++) {
                Results.ClaimRow r = rows.get(k);
                if (k > 0) b.append("<tr>");
                Results.Stat d = r.difference();
                double mean = d == null ? Double.NaN : d.mean();
                double lo = d == null ? Double.NaN : d.lo();
                double hi = d == null ? Double.NaN : d.hi();
                String verdict = str(r.verdict());
                b.append("<td>")
                        .append(esc(str(r.comparison())))
                        .append("<br><span class=\"ci\">on ")
                        .append(claimTask(id, str(r.task())))
                        .append("</span>")
                        .append(means(id, Results.orEmpty(r.means())))
                        .append("</td>")
                        .append("<td class=\"n\">")
                        .append(Numbers.small(mean))
                        .append("<br><span class=\"ci\">[")
                        .append(Numbers.small(lo))
                        .append(", ")
                        .append(Numbers.small(hi))
                        .append("]</span></td>")
                        .append("<td>")
                        .append(interval(mean, lo, hi, scale, positive, verdict))
                        .append("</td>")
                        .append("<td><span class=\"status ")
                        .append(esc(verdict.replace(' ', '-')))
                        .append("\">")
                        .append(esc(verdict))
                        .append("</span><br><span class=\"ci\">p = ")
                        .append(Numbers.small(r.pValue()))
                        .append(", Holm p = ")
                        .append(Numbers.small(r.pHolm()))
                        .append("</span></td></tr>\n");
            }
        }
        b.append("</tbody></table></div></section>\n");
    }

    /** The task of a claim row, links to task sections, with the "claim:&lt;id&gt;" prefix dropped. */
    String claimTask(String claimId, String task) {
        String[] parts = task.split(" vs ", -1);
        List<String> out = new ArrayList<>();
        String prefix = "claim:" + claimId;
        for (String part : parts) {
            String shown = part.startsWith(prefix) ? part.substring(prefix.length()) : part;
            if (shown.isEmpty()) shown = "its own task";
            String a = taskAnchors.get(part);
            out.add(
                    a == null
                            ? esc(shown)
                            : "<a href=\"#" + a + "\" title=\"" + esc(part) + "\">" + esc(shown) + "</a>");
        }
        return String.join(" vs ", out);
    }

    static String means(String claimId, Map<String, Double> means) {
        if (means.isEmpty()) return "";
        List<String> parts = new ArrayList<>();
        String prefix = "claim:" + claimId;
        for (Map.Entry<String, Double> e : means.entrySet()) {
            String k = e.getKey().startsWith(prefix) ? e.getKey().substring(prefix.length()) : e.getKey();
            parts.add(esc(k) + " " + Numbers.fixed(e.getValue() == null ? Double.NaN : e.getValue(), 3));
        }
        return "<br><span class=\"ci\">means: " + String.join(" · ", parts) + "</span>";
    }

    /**
     * The 95% interval and mean against 0, the expected side shaded: declared as data and drawn by
     * the shared components with the bundled Chart.js ({@code ApView.intervals}); the numbers
     * themselves are in the neighbouring cell, so the page reads without it.
     */
    static String interval(double mean, double lo, double hi, double scale, boolean positive, String verdict) {
        String col = switch (verdict) {
            case "holds" -> "#0072b2";
            case "contradicted" -> "#d55e00";
            default -> "#9a6700";
        };
        boolean ci = Double.isFinite(lo) && Double.isFinite(hi);
        String spec = "{\"mean\":" + (Double.isFinite(mean) ? Double.toString(mean) : "null")
                + ",\"lo\":" + (ci ? Double.toString(lo) : "null") + ",\"hi\":"
                + (ci ? Double.toString(hi) : "null")
                + ",\"scale\":" + (Double.isFinite(scale) ? Double.toString(scale) : "0") + ",\"positive\":"
                + positive
                + ",\"colour\":\"" + col + "\"}";
        return "<div class=\"interval\" style=\"width:170px;height:26px\" role=\"img\" aria-label=\"95% interval "
                + Numbers.small(lo) + " to " + Numbers.small(hi) + "\" data-ap-interval=\"" + esc(spec)
                + "\"></div>";
    }
}
