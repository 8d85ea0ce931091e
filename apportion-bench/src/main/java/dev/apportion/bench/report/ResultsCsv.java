package dev.apportion.bench.report;

import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import java.util.Locale;
import java.util.Map;

/**
 * results.csv: one row per task × estimator × metric (credit-quality and learning metrics),
 * with the mean over seeds, its 95% interval, the standard deviation and the number of seeds;
 * an estimator that was skipped or failed on a task gets one row with its status and reason.
 */
public final class ResultsCsv {
    /** Header line. */
    public static final String HEADER = "task,family,estimator,phase,metric,mean,ci_low,ci_high,sd,n,status,reason";

    private ResultsCsv() {}

    public static String render(BenchResult r) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (ConfigResult c : r.configs()) {
            for (Map.Entry<String, CreditOutcome> e :
                    r.credit().getOrDefault(c.id(), Map.of()).entrySet()) {
                CreditOutcome o = e.getValue();
                if (!o.status().equals("ok")) {
                    row(b, c, e.getKey(), "credit", "", null, o.status(), o.reason());
                    continue;
                }
                for (Map.Entry<String, Summary> m : o.metrics().entrySet())
                    row(b, c, e.getKey(), "credit", m.getKey(), m.getValue(), "ok", "");
            }
            for (Map.Entry<String, LearnOutcome> e :
                    r.learning().getOrDefault(c.id(), Map.of()).entrySet()) {
                LearnOutcome o = e.getValue();
                if (!o.status().equals("ok")) {
                    row(b, c, e.getKey(), "learning", "", null, o.status(), o.reason());
                    continue;
                }
                for (Map.Entry<String, Summary> m : o.metrics().entrySet())
                    row(b, c, e.getKey(), "learning", m.getKey(), m.getValue(), "ok", "");
            }
        }
        return b.toString();
    }

    private static void row(
            StringBuilder b,
            ConfigResult c,
            String est,
            String phase,
            String metric,
            Summary s,
            String status,
            String reason) {
        b.append(cell(c.id()))
                .append(',')
                .append(cell(c.family()))
                .append(',')
                .append(cell(est))
                .append(',')
                .append(phase)
                .append(',')
                .append(cell(metric))
                .append(',');
        if (s == null) b.append(",,,,,");
        else
            b.append(n(s.mean()))
                    .append(',')
                    .append(n(s.lo()))
                    .append(',')
                    .append(n(s.hi()))
                    .append(',')
                    .append(n(s.sd()))
                    .append(',')
                    .append(s.n())
                    .append(',');
        b.append(status).append(',').append(cell(reason == null ? "" : reason)).append('\n');
    }

    private static String n(double v) {
        Object o = ResultsJson.num(v);
        return o == null ? "" : String.format(Locale.ROOT, "%s", o);
    }

    private static String cell(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
