package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The scalar score of each trajectory that the outcome-level estimators normalise.
 *
 * <p>Without reward weights and without skipping, it is {@link Rollouts#scores()} (verl's row
 * sum: outcome + span rewards + token rewards, absent terms 0). Otherwise the outcome term is
 * {@code Σ_k w_k·x_k} over the outcome components that have a value (TRL's weighted
 * {@code nansum}), and with {@code skipMissing} a trajectory whose outcome is absent (scalar NaN,
 * or every component NaN) gets NaN: it is left out of every statistic and receives 0.
 */
final class OutcomeScores {
    private OutcomeScores() {}

    /**
     * Per-trajectory scores.
     *
     * @param weights reward weights, one per outcome component in the batch's order, or empty for
     *     all 1 (read)
     * @param skipMissing true: an absent outcome gives NaN (TRL); false: it counts 0 (verl)
     * @return a fresh array, NaN where the trajectory is left out
     */
    static double[] scores(Rollouts b, double[] weights, boolean skipMissing, String estimator) {
        Map<String, float[]> comps = b.outcomeComponents();
        float[] outcome = b.outcome();
        boolean useComponents = outcome == null && !comps.isEmpty();
        checkWeights(b, weights, useComponents, estimator);
        if (!skipMissing && weights.length == 0) return b.scores();
        int n = b.trajectoryCount();
        double[] out;
        if (useComponents) {
            out = new double[n];
            boolean[] present = new boolean[n];
            int k = 0;
            for (float[] c : comps.values()) {
                double w = weights.length == 0 ? 1.0 : weights[k];
                for (int i = 0; i < n; i++) {
                    if (!Float.isNaN(c[i])) {
                        out[i] += w * c[i];
                        present[i] = true;
                    }
                }
                k++;
            }
            addProcessRewards(b, out);
            if (skipMissing) for (int i = 0; i < n; i++) if (!present[i]) out[i] = Double.NaN;
        } else {
            out = b.scores();
            if (skipMissing && outcome != null)
                for (int i = 0; i < n; i++) if (Float.isNaN(outcome[i])) out[i] = Double.NaN;
        }
        return out;
    }

    /**
     * The reward components that {@code normalize_then_sum} z-scores one by one: the outcome
     * components when the batch has them (and no scalar outcome), else the single score of
     * {@link #scores}. NaN marks an absent value (kept NaN when {@code skipMissing}, else 0).
     *
     * @throws RolloutException when components are used and the batch also carries span or
     *     token rewards, which have no component to go into
     */
    static double[][] components(Rollouts b, double[] weights, boolean skipMissing, String estimator) {
        Map<String, float[]> comps = b.outcomeComponents();
        boolean useComponents = b.outcome() == null && !comps.isEmpty();
        checkWeights(b, weights, useComponents, estimator);
        int n = b.trajectoryCount();
        if (!useComponents) return new double[][] {scores(b, new double[0], skipMissing, estimator)};
        double[] process = new double[n];
        addProcessRewards(b, process);
        for (int i = 0; i < n; i++) {
            if (process[i] != 0) {
                throw new RolloutException(
                        b.describe(i) + ": estimator '" + estimator + "' with multi_objective_aggregation="
                                + "normalize_then_sum normalises each outcome component; this trajectory also has span or token rewards"
                                + " (sum " + process[i] + "), which belong to no component",
                        i,
                        "spans.reward");
            }
        }
        double[][] out = new double[comps.size()][n];
        int k = 0;
        for (float[] c : comps.values()) {
            for (int i = 0; i < n; i++) out[k][i] = Float.isNaN(c[i]) ? (skipMissing ? Double.NaN : 0.0) : c[i];
            k++;
        }
        return out;
    }

    /** Whether trajectory {@code i} has no outcome value at all (every component NaN). */
    static boolean[] allComponentsMissing(double[][] comps) {
        int n = comps.length == 0 ? 0 : comps[0].length;
        boolean[] missing = new boolean[n];
        java.util.Arrays.fill(missing, true);
        for (double[] c : comps) for (int i = 0; i < n; i++) if (!Double.isNaN(c[i])) missing[i] = false;
        return missing;
    }

    private static void checkWeights(Rollouts b, double[] weights, boolean useComponents, String estimator) {
        if (weights.length == 0) return;
        if (!useComponents) {
            throw new RolloutException(
                    "estimator '" + estimator + "': reward_weights has " + weights.length
                            + " values but the batch has "
                            + (b.outcome() != null ? "a scalar outcome" : "no outcome components")
                            + "; reward weights apply to named outcome components only",
                    -1,
                    "outcome");
        }
        int k = b.outcomeComponents().size();
        if (weights.length != k) {
            List<String> names = new ArrayList<>(b.outcomeComponents().keySet());
            throw new RolloutException(
                    "estimator '" + estimator + "': reward_weights has " + weights.length + " values but the batch has "
                            + k + " outcome components " + names,
                    -1,
                    "outcome");
        }
    }

    /** Adds each trajectory's span rewards and token rewards (all its tokens, as verl's row sum) to {@code out}. */
    private static void addProcessRewards(Rollouts b, double[] out) {
        float[] sr = b.spanReward();
        float[] tr = b.tokenSignal(Rollouts.REWARD);
        int n = b.trajectoryCount();
        for (int i = 0; i < n; i++) {
            double sum = 0;
            if (sr != null) {
                for (int s = b.spanStart(i); s < b.spanEnd(i); s++) if (!Float.isNaN(sr[s])) sum += sr[s];
            }
            if (tr != null) {
                for (int t = b.tokenStart(i), e = b.tokenEnd(i); t < e; t++) sum += tr[t];
            }
            out[i] += sum;
        }
    }
}
