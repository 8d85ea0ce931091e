package dev.apportion.bench.run;

import dev.apportion.bench.run.BenchResult.BsuiteScore;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * bsuite's scoring formulas (deepmind/bsuite @ b4c9fed, {@code experiments/*}/analysis.py) applied
 * to the training episodes of the learning comparison, one score per estimator and sweep:
 * <ul>
 *   <li>{@code umbrella_length}, {@code umbrella_distract}: per setting, average regret = total
 *       regret / episodes (regret 2 per failed episode), averaged over seeds; score = share of
 *       settings with average regret below 0.5.</li>
 *   <li>{@code discounting_chain}: average return per episode over all settings and seeds;
 *       score = clip(1 − 10·(1.1 − average return), 0, 1).</li>
 * </ul>
 * Our episode budget is the suite's, not bsuite's 10,000 (umbrella) / 1,000 (discounting).
 */
final class Bsuite {
    private Bsuite() {}

    static List<BsuiteScore> scores(
            Suite suite, List<ConfigResult> configs, Map<String, Map<String, LearnOutcome>> learning) {
        List<BsuiteScore> out = new ArrayList<>();
        for (TaskEntry e : suite.tasks()) {
            if (e.bsuite() == null) continue;
            List<ConfigResult> cs = new ArrayList<>();
            for (ConfigResult c : configs) if (c.inSuite() && c.entry().equals(e.id())) cs.add(c);
            if (cs.isEmpty()) continue;
            Set<String> labels = new LinkedHashSet<>();
            for (ConfigResult c : cs)
                labels.addAll(learning.getOrDefault(c.id(), Map.of()).keySet());
            for (String label : labels) {
                List<String> settings = new ArrayList<>();
                List<Double> values = new ArrayList<>();
                boolean ok = true;
                for (ConfigResult c : cs) {
                    LearnOutcome lo = learning.getOrDefault(c.id(), Map.of()).get(label);
                    if (lo == null || !lo.status().equals("ok")) {
                        ok = false;
                        break;
                    }
                    settings.add(c.id());
                    if (e.bsuite().startsWith("umbrella"))
                        values.add(
                                2 * (1 - lo.metrics().get("train_success_rate").mean()));
                    else values.add(lo.metrics().get("train_avg_return").mean());
                }
                if (!ok) continue;
                double score;
                String formula;
                if (e.bsuite().startsWith("umbrella")) {
                    int below = 0;
                    for (double v : values) if (v < 0.5) below++;
                    score = (double) below / values.size();
                    formula = "share of settings with average regret < 0.5 (values: average regret per setting)";
                } else {
                    double ave = 0;
                    for (double v : values) ave += v;
                    ave /= values.size();
                    score = Math.max(0, Math.min(1, 1 - 10 * (1.1 - ave)));
                    formula = "clip(1 - 10 * (1.1 - average return), 0, 1) (values: average return per setting)";
                }
                out.add(new BsuiteScore(e.bsuite(), e.id(), label, score, settings, values, formula));
            }
        }
        return out;
    }
}
