package dev.apportion.bench.run;

import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LeaderRow;
import dev.apportion.bench.run.BenchResult.LearnOutcome;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The leaderboard: for every compared estimator, the mean over the suite's leaderboard configs
 * of each metric's per-config mean (configs where it did not run are left out; {@code tasks}
 * says how many counted); when the run selected no leaderboard entry, over every suite config.
 * Ordered by mean rank correlation, best first.
 */
public final class Leaderboard {
    /** Columns, in order. */
    public static final List<String> COLUMNS = List.of("spearman", "sign_agreement", "auroc", "leakage", "credit_noise",
            "learn_auc", "final_success");

    private Leaderboard() {
    }

    static List<LeaderRow> rows(List<ConfigResult> configs, Map<String, Map<String, CreditOutcome>> credit,
                                Map<String, Map<String, LearnOutcome>> learning, List<EstimatorRef> estimators) {
        List<LeaderRow> out = new ArrayList<>();
        // when the selection holds no leaderboard entry (e.g. --tasks picked only sweeps), rank over every suite config
        boolean any = configs.stream().anyMatch(c -> c.inSuite() && c.leaderboard());
        for (EstimatorRef r : estimators) {
            String label = r.label();
            Map<String, double[]> acc = new LinkedHashMap<>();
            for (String c : COLUMNS) acc.put(c, new double[2]);
            int tasks = 0;
            for (ConfigResult c : configs) {
                if (!c.inSuite() || (any && !c.leaderboard())) continue;
                CreditOutcome co = credit.getOrDefault(c.id(), Map.of()).get(label);
                if (co != null && co.status().equals("ok")) {
                    tasks++;
                    for (Map.Entry<String, Summary> e : co.metrics().entrySet()) add(acc, e.getKey(), e.getValue());
                }
                LearnOutcome lo = learning.getOrDefault(c.id(), Map.of()).get(label);
                if (lo != null && lo.status().equals("ok")) {
                    for (Map.Entry<String, Summary> e : lo.metrics().entrySet()) add(acc, e.getKey(), e.getValue());
                }
            }
            Map<String, Double> means = new LinkedHashMap<>();
            for (Map.Entry<String, double[]> e : acc.entrySet()) {
                means.put(e.getKey(), e.getValue()[1] == 0 ? Double.NaN : e.getValue()[0] / e.getValue()[1]);
            }
            out.add(new LeaderRow(label, tasks, means));
        }
        // means over different task sets are not comparable: estimators that ran on more of the
        // leaderboard tasks rank first, then by rank correlation
        out.sort(Comparator.comparingInt((LeaderRow x) -> -x.tasks()).thenComparingDouble((LeaderRow x) -> {
            double v = x.means().get("spearman");
            return Double.isNaN(v) ? Double.POSITIVE_INFINITY : -v;
        }).thenComparing(LeaderRow::estimator));
        return out;
    }

    private static void add(Map<String, double[]> acc, String metric, Summary s) {
        double[] a = acc.get(metric);
        if (a == null || Double.isNaN(s.mean())) return;
        a[0] += s.mean();
        a[1]++;
    }
}
