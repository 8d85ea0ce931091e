package dev.apportion.bench.learn;

import dev.apportion.bench.batch.BatchSampler;
import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.batch.TurnReward;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.task.Task;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.SplittableRandom;

/**
 * Trains a tabular softmax policy (one row per observation and turn, uniform at the start) with
 * the same policy-gradient update for every estimator; only the credit differs.
 *
 * <p>Update: for each batch the estimator's per-token advantages {@code A_t} (times its loss
 * weights, if any) are divided by their root mean square over the batch's policy tokens (the
 * scale of an advantage is a learning-rate choice, not credit quality; an all-zero credit means
 * no update), then {@code θ[f,b] += lr / N · Σ_t A_t (1[b = a_t] − π(b | f_t))} over the policy
 * tokens of the batch's {@code N} trajectories. The policy is evaluated exactly (success
 * probability from the start distribution, by backward induction) before training and after every
 * update. Deterministic for a given random source. Not thread-safe (one run per thread).
 */
public final class Learner {
    private Learner() {}

    /**
     * Runs one learning curve.
     *
     * @param rng random source for sampling (advanced)
     * @throws RuntimeException what the estimator throws
     */
    public static LearningRun run(
            Task task, Estimator estimator, Params params, LearningConfig cfg, SplittableRandom rng) {
        return run(task, estimator, params, TurnReward.ENV, cfg, rng);
    }

    /**
     * Runs one learning curve with the span rewards of {@code view}.
     *
     * @param rng random source for sampling (advanced)
     * @throws RuntimeException what the estimator throws
     */
    public static LearningRun run(
            Task task, Estimator estimator, Params params, TurnReward view, LearningConfig cfg, SplittableRandom rng) {
        return run(task, estimator, params, view, cfg, RolloutCost.NONE, rng);
    }

    /**
     * Runs one learning curve with the span rewards of {@code view}, charging the estimator's
     * extra rollouts ({@code cost}) to the episode budget: the budget is
     * {@code updates × groups × group_size} episodes; each update consumes its batch plus the
     * extra rollouts, and training stops when the next update would exceed the budget. The curve
     * keeps one point per budget step of {@code groups × group_size} episodes (the policy reached
     * by then), so every estimator is scored on the same episode axis.
     *
     * @param rng random source for sampling (advanced)
     * @throws RuntimeException what the estimator throws
     */
    public static LearningRun run(
            Task task,
            Estimator estimator,
            Params params,
            TurnReward view,
            LearningConfig cfg,
            RolloutCost cost,
            SplittableRandom rng) {
        Mdp m = task.mdp();
        TabularPolicy policy = TabularPolicy.uniform(m);
        double opt = Solution.optimalSuccess(m);
        double[] curve = new double[cfg.updates() + 1];
        double[] ret = new double[cfg.updates() + 1];
        Solution sol = Solution.of(m, policy);
        curve[0] = sol.startSuccess();
        ret[0] = sol.startValue();
        double perUpdate = cfg.episodesPerUpdate();
        double budget = perUpdate * cfg.updates();
        double used = 0;
        int point = 0;
        int updatesRun = 0;
        double[] grad = new double[policy.featureCount() * Math.max(1, m.maxActions())];
        int width = Math.max(1, m.maxActions());
        long episodes = 0;
        long successes = 0;
        double returns = 0;
        for (int u = 1; u <= cfg.updates(); u++) {
            SampledBatch batch = BatchSampler.sample(task, policy, sol, cfg.groups(), cfg.groupSize(), rng);
            double spend = perUpdate + cost.extraEpisodes(batch, cfg.groups());
            if (used + spend > budget + 1e-9) break;
            used += spend;
            updatesRun++;
            for (int i = 0; i < batch.returns().length; i++) {
                episodes++;
                returns += batch.returns()[i];
                if (batch.success()[i]) successes++;
            }
            Rollouts b = estimator.unwrap() instanceof dev.apportion.bench.estimators.BenchReference
                    ? batch.referenceRollouts()
                    : batch.rollouts(view, dev.apportion.bench.batch.Signals.needsDerived(estimator.descriptor()));
            Credit c = estimator.assign(b, params, Execution.sequential());
            float[] adv = c.advantages();
            float[] w = c.lossWeights();
            int[] pt = batch.policyTokens();
            double ss = 0;
            for (int t : pt) {
                double a = w == null ? adv[t] : adv[t] * w[t];
                if (!Double.isFinite(a)) {
                    throw new IllegalStateException(
                            "estimator '" + estimator.id() + "' gave a non-finite advantage " + a);
                }
                ss += a * a;
            }
            if (ss > 0) {
                double scale = 1 / Math.sqrt(ss / pt.length);
                java.util.Arrays.fill(grad, 0);
                long[] keys = batch.tokenKey();
                for (int t : pt) {
                    double a = (w == null ? adv[t] : adv[t] * w[t]) * scale;
                    if (a == 0) continue;
                    int sa = (int) keys[t];
                    int s = m.pairState(sa);
                    int act = m.pairAction(sa);
                    int f = m.feature(s);
                    int base = m.actionStart(s);
                    int na = m.actionCount(s);
                    for (int x = 0; x < na; x++) grad[f * width + x] += a * ((x == act ? 1 : 0) - sol.pi(base + x));
                }
                double step = cfg.learningRate() / b.trajectoryCount();
                for (int f = 0; f < policy.featureCount(); f++) {
                    for (int x = 0; x < policy.actionCount(f); x++) {
                        double g = grad[f * width + x];
                        if (g != 0) policy.add(f, x, step * g);
                    }
                }
            }
            sol = Solution.of(m, policy);
            // budget points passed by this update hold the policy as it was before the update
            int reached = (int) Math.floor(used / perUpdate + 1e-9);
            while (point + 1 < reached) {
                point++;
                curve[point] = curve[point - 1];
                ret[point] = ret[point - 1];
            }
            if (reached > point) {
                point = reached;
                curve[point] = sol.startSuccess();
                ret[point] = sol.startValue();
            }
        }
        while (point < cfg.updates()) {
            point++;
            curve[point] = curve[point - 1];
            ret[point] = ret[point - 1];
        }
        return new LearningRun(
                curve,
                cfg.episodesPerUpdate(),
                opt,
                episodes == 0 ? 0 : (double) successes / episodes,
                episodes == 0 ? 0 : returns / episodes,
                cfg.successThreshold() * opt,
                ret,
                updatesRun);
    }
}
