package dev.apportion.bench.run;

import dev.apportion.bench.learn.LearningRun;
import dev.apportion.bench.learn.RolloutCost;
import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Aggregation, the third stage: per configuration and estimator, the per-seed unit outputs
 * become {@link Summary summaries} (mean, 95% interval over seeds) and the skipped/failed pairs
 * are collected with their reasons.
 */
final class Aggregation {
    final List<ConfigResult> configs = new ArrayList<>();
    final Map<String, Map<String, CreditOutcome>> credit = new LinkedHashMap<>();
    final Map<String, Map<String, LearnOutcome>> learning = new LinkedHashMap<>();
    final List<BenchResult.Skip> skipped = new ArrayList<>();
    final Map<String, long[]> timing = new java.util.TreeMap<>();

    /** Learning outputs of one (config, label): reported runs, errors, chosen rate, tuning means. */
    static final class LearnCell {
        LearningRun[] runs;
        String[] errors;
        double lr;
        Map<Double, Double> tuning = new LinkedHashMap<>();
        RolloutCost cost = RolloutCost.NONE;
    }

    void add(Plan p, Units.CreditSeed[] seeds, Map<String, LearnCell> learn, long rootSeed) {
        List<Map<String, Object>> inst = new ArrayList<>();
        List<Long> seedList = new ArrayList<>();
        for (int si = 0; si < seeds.length; si++) {
            inst.add(seeds[si].instance);
            seedList.add(Runner.SeedStreams.seedFor(rootSeed, p.seedKey(), si));
            for (Map.Entry<String, long[]> e : seeds[si].nanos.entrySet()) {
                long[] acc = timing.computeIfAbsent(e.getKey(), k -> new long[2]);
                acc[0] += e.getValue()[0];
                acc[1] += e.getValue()[1];
            }
        }
        configs.add(new ConfigResult(
                p.id,
                p.entry,
                p.family.id(),
                p.knobs.values(),
                p.knobs.explicit(),
                p.inSuite,
                p.leaderboard,
                p.bsuite,
                seeds[0].metadata,
                inst,
                seedList,
                p.metrics,
                seeds[0].example));
        Map<String, CreditOutcome> cmap = new LinkedHashMap<>();
        for (String label : p.creditLabels) {
            if (p.inapplicable.containsKey(label)) {
                cmap.put(label, new CreditOutcome("skipped", p.inapplicable.get(label), Map.of()));
                skipped.add(new BenchResult.Skip(p.id, label, "credit", p.inapplicable.get(label)));
                continue;
            }
            String err = null;
            for (Units.CreditSeed cs : seeds) {
                if (cs.errors.containsKey(label)) {
                    err = cs.errors.get(label);
                    break;
                }
            }
            if (err != null) {
                cmap.put(label, new CreditOutcome("error", err, Map.of()));
                skipped.add(new BenchResult.Skip(p.id, label, "credit", "error: " + err));
                continue;
            }
            Map<String, Summary> ms = new LinkedHashMap<>();
            for (int mi = 0; mi < p.metrics.size(); mi++) {
                double[] v = new double[seeds.length];
                for (int si = 0; si < seeds.length; si++)
                    v[si] = seeds[si].values.get(label)[mi];
                ms.put(p.metrics.get(mi), Summary.of(v));
            }
            cmap.put(label, new CreditOutcome("ok", null, ms));
        }
        credit.put(p.id, cmap);
        Map<String, LearnOutcome> lmap = new LinkedHashMap<>();
        for (String label : p.learnLabels) {
            if (p.inapplicable.containsKey(label)) {
                lmap.put(
                        label,
                        new LearnOutcome(
                                "skipped",
                                p.inapplicable.get(label),
                                Map.of(),
                                List.of(),
                                0,
                                Double.NaN,
                                Double.NaN,
                                Map.of(),
                                Map.of()));
                continue;
            }
            LearnCell cell = learn.get(label);
            String err = null;
            for (String e : cell.errors) {
                if (e != null) {
                    err = e;
                    break;
                }
            }
            if (err != null) {
                lmap.put(
                        label,
                        new LearnOutcome(
                                "error", err, Map.of(), List.of(), 0, Double.NaN, cell.lr, cell.tuning, Map.of()));
                skipped.add(new BenchResult.Skip(p.id, label, "learning", "error: " + err));
                continue;
            }
            lmap.put(label, summarise(cell));
        }
        if (!lmap.isEmpty()) learning.put(p.id, lmap);
    }

    private static LearnOutcome summarise(LearnCell cell) {
        LearningRun[] runs = cell.runs;
        int n = runs.length;
        Map<String, Summary> ms = new LinkedHashMap<>();
        double[][] v = new double[Runner.LEARNING_METRICS.size()][n];
        for (int i = 0; i < n; i++) {
            LearningRun r = runs[i];
            v[0][i] = r.auc();
            v[1][i] = r.finalSuccess();
            v[2][i] = r.episodesToThreshold();
            v[3][i] = r.reached() ? 1 : 0;
            v[4][i] = r.trainSuccessRate();
            v[5][i] = r.trainAverageReturn();
            v[6][i] = r.returnAuc();
        }
        for (int k = 0; k < Runner.LEARNING_METRICS.size(); k++)
            ms.put(Runner.LEARNING_METRICS.get(k), Summary.of(v[k]));
        int points = runs[0].success().length;
        List<Summary> curve = new ArrayList<>();
        for (int u = 0; u < points; u++) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) x[i] = runs[i].success()[u];
            curve.add(Summary.of(x));
        }
        Map<String, Object> cost = new LinkedHashMap<>();
        if (!cell.cost.free()) {
            cost.put("greedy_rollouts_per_group", cell.cost.greedyPerGroup());
            cost.put("mc_rollouts_per_turn", cell.cost.mcSamples());
            double upd = 0;
            for (LearningRun r : runs) upd += r.updatesRun();
            cost.put("mean_updates_within_budget", upd / n);
        }
        return new LearnOutcome(
                "ok",
                null,
                ms,
                curve,
                runs[0].episodesPerUpdate(),
                runs[0].optimalSuccess(),
                cell.lr,
                cell.tuning,
                cost);
    }
}
