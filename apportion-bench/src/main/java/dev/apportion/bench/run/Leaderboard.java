package dev.apportion.bench.run;

import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LeaderRow;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The leaderboard: for every compared estimator, each metric averaged over the suite's
 * leaderboard configs it ran on ({@code tasks} says how many; when the run selected no
 * leaderboard entry, over every suite config). Leakage, an unbounded ratio, is aggregated by the
 * median over tasks so one task cannot dominate. Every number has a 95% interval ({@code ci}):
 * for seed index i the task values of seed i are aggregated the same way (mean, or median for
 * leakage), and the interval is Student's t over seed indices (seeds are independent draws per
 * task, so the aggregate over tasks of seed i is one independent replicate).
 *
 * <p>Order: by pooled Spearman, best first, whatever the coverage (a row that ran on fewer tasks
 * is flagged by {@code tasks}, never demoted below {@code random} for it); ties by label.
 */
public final class Leaderboard {
    /** Leaderboard key ← per-task metric, in order. */
    public static final Map<String, String> KEYS = keys();
    /** Columns, in order. */
    public static final List<String> COLUMNS = List.copyOf(KEYS.keySet());

    private Leaderboard() {}

    private static Map<String, String> keys() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("spearman_pooled", "spearman");
        m.put("spearman_within_trajectory", "spearman_within_trajectory");
        m.put("spearman_within_decision", "spearman_within_decision");
        m.put("sign_agreement", "sign_agreement");
        m.put("auroc", "auroc");
        m.put("leakage_median", "leakage");
        m.put("credit_noise", "credit_noise");
        m.put("learn_auc", "learn_auc");
        m.put("final_success", "final_success");
        m.put("return_auc", "return_auc");
        return java.util.Collections.unmodifiableMap(m);
    }

    static List<LeaderRow> rows(
            List<ConfigResult> configs,
            Map<String, Map<String, CreditOutcome>> credit,
            Map<String, Map<String, LearnOutcome>> learning,
            List<EstimatorRef> estimators,
            Map<String, String> tiers) {
        List<LeaderRow> out = new ArrayList<>();
        boolean any = configs.stream().anyMatch(c -> c.inSuite() && c.leaderboard());
        for (EstimatorRef r : estimators) {
            String label = r.label();
            Map<String, List<Summary>> per = new LinkedHashMap<>();
            for (String k : COLUMNS) per.put(k, new ArrayList<>());
            int tasks = 0;
            for (ConfigResult c : configs) {
                if (!c.inSuite() || (any && !c.leaderboard())) continue;
                CreditOutcome co = credit.getOrDefault(c.id(), Map.of()).get(label);
                Map<String, Summary> all = new LinkedHashMap<>();
                if (co != null && co.status().equals("ok")) {
                    tasks++;
                    all.putAll(co.metrics());
                }
                LearnOutcome lo = learning.getOrDefault(c.id(), Map.of()).get(label);
                if (lo != null && lo.status().equals("ok")) all.putAll(lo.metrics());
                for (Map.Entry<String, String> k : KEYS.entrySet()) {
                    Summary s = all.get(k.getValue());
                    if (s != null && !Double.isNaN(s.mean()))
                        per.get(k.getKey()).add(s);
                }
            }
            Map<String, Double> means = new LinkedHashMap<>();
            Map<String, double[]> ci = new LinkedHashMap<>();
            for (Map.Entry<String, List<Summary>> e : per.entrySet()) {
                boolean median = e.getKey().equals("leakage_median");
                List<Summary> list = e.getValue();
                if (list.isEmpty()) {
                    means.put(e.getKey(), Double.NaN);
                    ci.put(e.getKey(), new double[] {Double.NaN, Double.NaN});
                    continue;
                }
                double[] m = new double[list.size()];
                for (int i = 0; i < m.length; i++) m[i] = list.get(i).mean();
                means.put(e.getKey(), aggregate(m, m.length, median));
                int seeds = 0;
                for (Summary s : list) seeds = Math.max(seeds, s.perSeed().length);
                double[] rep = new double[seeds];
                double[] buf = new double[list.size()];
                for (int i = 0; i < seeds; i++) {
                    int k = 0;
                    for (Summary s : list) {
                        if (i < s.perSeed().length && !Double.isNaN(s.perSeed()[i])) buf[k++] = s.perSeed()[i];
                    }
                    rep[i] = k == 0 ? Double.NaN : aggregate(buf, k, median);
                }
                Summary sr = Summary.of(rep);
                ci.put(e.getKey(), new double[] {sr.lo(), sr.hi()});
            }
            out.add(new LeaderRow(label, tiers.getOrDefault(label, Tiers.OUTCOME), tasks, means, ci));
        }
        out.sort(Comparator.comparingDouble((LeaderRow x) -> {
                    double v = x.means().get("spearman_pooled");
                    return Double.isNaN(v) ? Double.POSITIVE_INFINITY : -v;
                })
                .thenComparing(LeaderRow::estimator));
        return out;
    }

    private static double aggregate(double[] v, int n, boolean median) {
        if (!median) {
            double s = 0;
            for (int i = 0; i < n; i++) s += v[i];
            return s / n;
        }
        double[] c = Arrays.copyOf(v, n);
        Arrays.sort(c);
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }
}
