package dev.apportion.bench.run;

import dev.apportion.bench.metrics.PairedTest;
import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ClaimOutcome;
import dev.apportion.bench.run.BenchResult.ClaimRow;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Claims, the last stage: paired differences per claim row, two-sided paired t-tests, Holm's
 * correction across every row of the run, and the symmetric verdict rule of {@link Claim}.
 */
final class ClaimEvaluator {
    static final double ALPHA = 0.05;

    private ClaimEvaluator() {}

    static List<ClaimOutcome> evaluateAll(
            List<Claim> claims,
            Planning.Result plan,
            Map<String, Map<String, CreditOutcome>> credit,
            Map<String, Map<String, LearnOutcome>> learning) {
        List<ClaimOutcome> raw = new ArrayList<>();
        for (Claim c : claims) {
            if (plan.claimBlocked.containsKey(c)) {
                String why = plan.claimBlocked.get(c);
                raw.add(new ClaimOutcome(
                        c,
                        why.startsWith("estimator not available")
                                ? "estimator not available"
                                : why.startsWith("not run") ? "not run" : "error",
                        why,
                        List.of()));
            } else {
                raw.add(evaluate(c, plan.claimPlans.get(c), credit, learning));
            }
        }
        // Holm across every row of the run
        List<double[]> ps = new ArrayList<>();
        for (ClaimOutcome co : raw) for (ClaimRow r : co.rows()) ps.add(new double[] {r.p()});
        double[] p = new double[ps.size()];
        for (int i = 0; i < p.length; i++) p[i] = ps.get(i)[0];
        double[] adj = PairedTest.holm(p);
        List<ClaimOutcome> out = new ArrayList<>();
        int k = 0;
        for (ClaimOutcome co : raw) {
            if (co.rows().isEmpty()) {
                out.add(co);
                continue;
            }
            boolean positive = co.claim().expect().equals("greater")
                    || co.claim().expect().equals("decreasing")
                    || co.claim().expect().equals("did_greater");
            List<ClaimRow> rows = new ArrayList<>();
            for (ClaimRow r : co.rows()) {
                double a = adj[k++];
                rows.add(r.withHolm(a, verdict(r.difference(), a, positive)));
            }
            out.add(new ClaimOutcome(co.claim(), status(rows), co.reason(), rows));
        }
        return out;
    }

    static String status(List<ClaimRow> rows) {
        if (rows.isEmpty()) return "error";
        boolean anyHolds = rows.stream().anyMatch(x -> x.verdict().equals("holds"));
        boolean anyContra = rows.stream().anyMatch(x -> x.verdict().equals("contradicted"));
        if (rows.stream().allMatch(x -> x.verdict().equals("holds"))) return "holds";
        if (rows.stream().allMatch(x -> x.verdict().equals("contradicted"))) return "contradicted";
        if (anyHolds && anyContra) return "mixed";
        return "inconclusive";
    }

    static String verdict(Summary d, double pAdjusted, boolean positive) {
        if (d.n() < 2 || Double.isNaN(pAdjusted) || pAdjusted >= ALPHA) return "inconclusive";
        boolean up = d.mean() > 0;
        return up == positive ? "holds" : "contradicted";
    }

    private static ClaimOutcome evaluate(
            Claim c,
            List<Plan> plans,
            Map<String, Map<String, CreditOutcome>> credit,
            Map<String, Map<String, LearnOutcome>> learning) {
        boolean learn = Runner.LEARNING_METRICS.contains(c.metric());
        List<ClaimRow> rows = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String expect = c.expect();
        if (expect.equals("greater") || expect.equals("less")) {
            String a = c.estimators().get(0).label();
            String b = c.estimators().get(1).label();
            for (Plan p : plans) {
                Summary sa = metric(p.id, a, c.metric(), learn, credit, learning, problems);
                Summary sb = metric(p.id, b, c.metric(), learn, credit, learning, problems);
                if (sa == null || sb == null) continue;
                Summary d = Summary.of(diff(sa.perSeed(), sb.perSeed()));
                Map<String, Double> means = new LinkedHashMap<>();
                means.put(a, sa.mean());
                means.put(b, sb.mean());
                rows.add(row(a + " - " + b, p.id, d, means));
            }
        } else if (expect.startsWith("did_")) {
            Plan first = plans.get(0);
            Plan last = plans.get(plans.size() - 1);
            String a = c.estimators().get(0).label();
            String b = c.estimators().get(1).label();
            Summary af = metric(first.id, a, c.metric(), learn, credit, learning, problems);
            Summary al = metric(last.id, a, c.metric(), learn, credit, learning, problems);
            Summary bf = metric(first.id, b, c.metric(), learn, credit, learning, problems);
            Summary bl = metric(last.id, b, c.metric(), learn, credit, learning, problems);
            if (af != null && al != null && bf != null && bl != null) {
                Summary d = Summary.of(diff(diff(al.perSeed(), af.perSeed()), diff(bl.perSeed(), bf.perSeed())));
                Map<String, Double> means = new LinkedHashMap<>();
                means.put(a + " @ " + first.id, af.mean());
                means.put(a + " @ " + last.id, al.mean());
                means.put(b + " @ " + first.id, bf.mean());
                means.put(b + " @ " + last.id, bl.mean());
                rows.add(row(
                        "(" + a + " last - first) - (" + b + " last - first)", first.id + " vs " + last.id, d, means));
            }
        } else {
            Plan first = plans.get(0);
            Plan last = plans.get(plans.size() - 1);
            for (EstimatorRef r : c.estimators()) {
                Map<String, Double> means = new LinkedHashMap<>();
                boolean ok = true;
                for (Plan p : plans) {
                    Summary s = metric(p.id, r.label(), c.metric(), learn, credit, learning, problems);
                    if (s == null) {
                        ok = false;
                        break;
                    }
                    means.put(p.id, s.mean());
                }
                if (!ok) continue;
                Summary sf = metric(first.id, r.label(), c.metric(), learn, credit, learning, problems);
                Summary sl = metric(last.id, r.label(), c.metric(), learn, credit, learning, problems);
                Summary d = Summary.of(diff(sf.perSeed(), sl.perSeed()));
                rows.add(row(r.label() + ": first - last", first.id + " vs " + last.id, d, means));
            }
        }
        return new ClaimOutcome(c, status(rows), problems.isEmpty() ? null : String.join("; ", problems), rows);
    }

    private static ClaimRow row(String label, String config, Summary d, Map<String, Double> means) {
        return new ClaimRow(label, config, d, "inconclusive", means, PairedTest.pValue(d), Double.NaN);
    }

    private static Summary metric(
            String config,
            String label,
            String metric,
            boolean learn,
            Map<String, Map<String, CreditOutcome>> credit,
            Map<String, Map<String, LearnOutcome>> learning,
            List<String> problems) {
        if (learn) {
            LearnOutcome lo = learning.getOrDefault(config, Map.of()).get(label);
            if (lo == null || !lo.status().equals("ok")) {
                problems.add(label + " on " + config + ": "
                        + (lo == null ? "not run" : lo.status() + " (" + lo.reason() + ")"));
                return null;
            }
            return lo.metrics().get(metric);
        }
        CreditOutcome co = credit.getOrDefault(config, Map.of()).get(label);
        if (co == null || !co.status().equals("ok")) {
            problems.add(
                    label + " on " + config + ": " + (co == null ? "not run" : co.status() + " (" + co.reason() + ")"));
            return null;
        }
        Summary s = co.metrics().get(metric);
        if (s == null) problems.add("metric '" + metric + "' is not computed on " + config);
        return s;
    }

    private static double[] diff(double[] a, double[] b) {
        int n = Math.min(a.length, b.length);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = a[i] - b[i];
        return d;
    }
}
