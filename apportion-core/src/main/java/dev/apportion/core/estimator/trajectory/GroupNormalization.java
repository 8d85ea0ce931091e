package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;

/**
 * The group-relative scalar advantage shared by {@link Grpo}, {@link DrGrpo},
 * {@link ReinforcePlusPlusBaseline} and {@link Dapo}: subtract the group mean, optionally
 * divide by a standard deviation, with every convention on which the frameworks differ made a
 * setting. Stateless; {@link #advantages} allocates its result.
 */
final class GroupNormalization {
    private GroupNormalization() {}

    /** The signal every outcome-reward estimator of this package needs, enforced before each call. */
    static final SignalRequirement REWARD = SignalRequirement.trajectory(
                    "reward", "the reward model or verifier (outcome, span or token rewards)")
            .always();

    /**
     * The descriptor profile shared by the reference outcome-reward estimators of this package
     * (GRPO, Dr. GRPO, RLOO, REINFORCE++-baseline, OPO, GRPO pass@k): trajectory granularity,
     * Monte Carlo, reference fidelity, {@link #REWARD} required; the caller adds title, source,
     * parameters, presets and summary.
     */
    static Descriptor.Builder outcomeReference(String id, boolean groupLocal) {
        return Descriptor.builder(id)
                .granularity(Granularity.TRAJECTORY)
                .methodology(Methodology.MONTE_CARLO)
                .fidelity(Fidelity.REFERENCE)
                .groupLocal(groupLocal)
                .requires(REWARD);
    }

    /** Which standard deviation divides the centred score. */
    enum Scale {
        /** the group's (verl, OpenRLHF group_norm, TRL {@code scale_rewards="group"}) */
        GROUP,
        /** the whole batch's, still with the group mean (TRL {@code scale_rewards="batch"}) */
        BATCH,
        /** none: mean subtraction only (Dr. GRPO, TRL {@code scale_rewards="none"}) */
        NONE
    }

    /** Divisor of the variance ({@code std}). */
    enum Std {
        /** n − 1 (torch.std) */
        UNBIASED,
        /** n */
        POPULATION
    }

    /** Where epsilon enters ({@code epsilon_on}). */
    enum EpsilonOn {
        /** (s − μ)/(σ + ε) */
        STD,
        /** (s − μ)/sqrt(σ² + ε) */
        VARIANCE
    }

    /** A trajectory without an outcome value ({@code missing_reward}). */
    enum MissingReward {
        /** counts 0 */
        ZERO,
        /** left out of every statistic, gets 0 */
        SKIP
    }

    /** Multi-objective aggregation ({@code multi_objective_aggregation}). */
    enum Aggregation {
        /** normalise the (weighted) sum of outcome components */
        SUM_THEN_NORMALIZE,
        /** z-score each component in its group, weight, sum, then z-score over the batch */
        NORMALIZE_THEN_SUM
    }

    /** What a group with a single (scored) member gets. */
    enum Singleton {
        /** mean 0 and std 1: the raw score, divided by {@code 1 + ε} when scaling (verl) */
        RAW,
        /** advantage 0 (verl rloo_vectorized; TRL, whose one-sample std is NaN or 0) */
        ZERO,
        /** refuse the batch (OpenRLHF asserts {@code n_samples_per_prompt > 1}) */
        ERROR
    }

    /**
     * Resolved settings.
     *
     * @param unbiased divisor {@code n − 1} for variances (else {@code n})
     * @param epsilon added to the std ({@code epsilonOnVariance} false) or to the variance
     * @param stdFloor 0 for none; else {@code σ = sqrt(max(var, floor²))} with verl's float32
     *     single-pass moments
     * @param normalizeThenSum TRL's {@code multi_objective_aggregation="normalize_then_sum"}
     * @param weights reward weights per outcome component (empty = all 1)
     * @param skipMissing a trajectory without an outcome is left out of the statistics (TRL)
     */
    record Settings(
            Scale scale,
            boolean unbiased,
            double epsilon,
            boolean epsilonOnVariance,
            double stdFloor,
            Singleton singleton,
            boolean normalizeThenSum,
            double[] weights,
            boolean skipMissing) {}

    /** Counts for diagnostics. */
    static final class Stats {
        int groups;
        int singletonGroups;
        int tiedGroups;
        int skipped;
    }

    // ---- parameters shared by the estimators that use this engine ---------------------------

    static ParamSpec epsilon(double def) {
        return ParamSpec.real(
                "epsilon", def, 0.0, null, "small constant that keeps the division finite (see epsilon_on)");
    }

    static ParamSpec std() {
        return ParamSpec.choice(
                "std",
                Std.UNBIASED,
                "divisor of the variance: unbiased = n−1 (torch.std: verl, OpenRLHF, TRL nanstd), population = n");
    }

    static ParamSpec epsilonOn() {
        return ParamSpec.choice(
                "epsilon_on",
                EpsilonOn.STD,
                "where epsilon goes: std = (s−μ)/(σ+ε) (verl, OpenRLHF, TRL); variance = (s−μ)/sqrt(σ²+ε)");
    }

    static ParamSpec stdFloor() {
        return ParamSpec.real(
                "std_floor",
                0.0,
                0.0,
                null,
                "0 = none; else σ = sqrt(max(var, std_floor²)) computed as verl's grpo_vectorized does (float32, single pass;"
                        + " 1e-3 there)");
    }

    static ParamSpec singleton(String def, List<String> choices, String doc) {
        return ParamSpec.choice("singleton", def, choices, doc);
    }

    static ParamSpec missingReward() {
        return ParamSpec.choice(
                "missing_reward",
                MissingReward.ZERO,
                "a trajectory without an outcome value: zero = it counts 0 (verl); skip = it is left out of every statistic"
                        + " and gets 0 (TRL, where a reward function returned None)");
    }

    static ParamSpec rewardWeights() {
        return ParamSpec.realList(
                "reward_weights",
                List.of(),
                "weight of each outcome component, in the batch's component order (TRL reward_weights); empty = all 1");
    }

    /**
     * Settings from the parameters common to grpo and its relatives; a parameter the estimator
     * does not declare takes its verl value (unbiased std, no epsilon, no floor, no weights).
     */
    static Settings settings(Params p, Scale scale, boolean normalizeThenSum) {
        boolean has = p.values().containsKey("std");
        return new Settings(
                scale,
                !has || p.getChoice("std", Std.class) == Std.UNBIASED,
                p.values().containsKey("epsilon") ? p.getDouble("epsilon") : 0.0,
                has && p.getChoice("epsilon_on", EpsilonOn.class) == EpsilonOn.VARIANCE,
                p.values().containsKey("std_floor") ? p.getDouble("std_floor") : 0.0,
                p.getChoice("singleton", Singleton.class),
                normalizeThenSum,
                p.values().containsKey("reward_weights") ? p.getDoubleList("reward_weights") : new double[0],
                p.values().containsKey("missing_reward")
                        && p.getChoice("missing_reward", MissingReward.class) == MissingReward.SKIP);
    }

    // ---- the computation -----------------------------------------------------------------------

    /**
     * The advantage of each trajectory from its score.
     *
     * @param scores one per trajectory, NaN = left out (gets 0); read
     * @return a fresh array
     */
    static double[] advantages(Rollouts b, double[] scores, Settings s, Stats stats) {
        int n = scores.length;
        int[] members = b.groupMembers();
        int[] start = b.groupMemberStart();
        boolean f32 = s.stdFloor() > 0;
        GroupMoments m = new GroupMoments();
        double batchSigma = Double.NaN;
        if (s.scale() == Scale.BATCH) {
            moments(m, scores, null, 0, n, s.unbiased(), f32);
            batchSigma = m.count < 2 ? Double.NaN : sigma(m, s);
        }
        double[] adv = new double[n];
        stats.groups = b.groupCount();
        for (int g = 0; g < b.groupCount(); g++) {
            moments(m, scores, members, start[g], start[g + 1], s.unbiased(), f32);
            if (m.count == 0) continue;
            if (m.count == 1) {
                stats.singletonGroups++;
                if (s.singleton() != Singleton.RAW) continue; // ZERO, or ERROR with other members unscored
                double sigma = s.scale() == Scale.BATCH && !Double.isNaN(batchSigma) ? batchSigma : 1.0;
                for (int k = start[g]; k < start[g + 1]; k++) {
                    int i = members[k];
                    if (Double.isNaN(scores[i])) continue;
                    adv[i] = s.scale() == Scale.NONE ? scores[i] : divide(scores[i], sigma, s, f32);
                }
                continue;
            }
            if (m.tied) {
                stats.tiedGroups++;
                continue;
            }
            double sigma = s.scale() == Scale.GROUP ? sigma(m, s) : batchSigma;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                double v = scores[i];
                if (Double.isNaN(v)) continue;
                double centred = f32 ? (float) v - (float) m.mean : v - m.mean;
                adv[i] = s.scale() == Scale.NONE ? centred : divide(centred, sigma, s, f32);
            }
        }
        for (double v : scores) if (Double.isNaN(v)) stats.skipped++;
        return adv;
    }

    /**
     * TRL's {@code normalize_then_sum}: z-score each reward component inside its group, sum
     * with the weights, then z-score the sums over the batch.
     *
     * @param comps components × trajectories, NaN = absent; read
     * @return a fresh array
     */
    static double[] normalizeThenSum(Rollouts b, double[][] comps, Settings s, Stats stats) {
        int n = b.trajectoryCount();
        int[] members = b.groupMembers();
        int[] start = b.groupMemberStart();
        boolean f32 = s.stdFloor() > 0;
        double[] w = s.weights();
        GroupMoments m = new GroupMoments();
        double[] sum = new double[n];
        stats.groups = b.groupCount();
        for (int k = 0; k < comps.length; k++) {
            double wk = w.length == 0 ? 1.0 : w[k];
            double[] x = comps[k];
            for (int g = 0; g < b.groupCount(); g++) {
                moments(m, x, members, start[g], start[g + 1], s.unbiased(), f32);
                if (m.count == 0 || m.tied && m.count > 1) continue;
                if (m.count == 1) {
                    if (k == 0) stats.singletonGroups++;
                    if (s.singleton() != Singleton.RAW) continue;
                    for (int q = start[g]; q < start[g + 1]; q++) {
                        int i = members[q];
                        if (!Double.isNaN(x[i])) sum[i] += wk * divide(x[i], 1.0, s, f32);
                    }
                    continue;
                }
                double sigma = sigma(m, s);
                for (int q = start[g]; q < start[g + 1]; q++) {
                    int i = members[q];
                    if (Double.isNaN(x[i])) continue;
                    double centred = f32 ? (float) x[i] - (float) m.mean : x[i] - m.mean;
                    sum[i] += wk * divide(centred, sigma, s, f32);
                }
            }
        }
        if (s.skipMissing()) {
            boolean[] missing = OutcomeScores.allComponentsMissing(comps);
            for (int i = 0; i < n; i++) {
                if (missing[i]) {
                    sum[i] = Double.NaN;
                    stats.skipped++;
                }
            }
        }
        moments(m, sum, null, 0, n, s.unbiased(), f32);
        double[] adv = new double[n];
        if (m.count < 2 || m.tied) return adv;
        double sigma = sigma(m, s);
        for (int i = 0; i < n; i++) {
            if (!Double.isNaN(sum[i])) adv[i] = divide(sum[i] - m.mean, sigma, s, f32);
        }
        return adv;
    }

    private static void moments(
            GroupMoments m, double[] v, int[] members, int from, int to, boolean unbiased, boolean f32) {
        if (f32) m.singlePassF32(v, members, from, to, unbiased);
        else m.twoPass(v, members, from, to, unbiased);
    }

    /** σ of a group of at least two, with the floor when one is set. */
    private static double sigma(GroupMoments m, Settings s) {
        double var = m.variance;
        if (s.stdFloor() > 0) {
            float floor2 = (float) (s.stdFloor() * s.stdFloor());
            return (float) Math.sqrt(Math.max((float) var, floor2));
        }
        return Math.sqrt(var);
    }

    /** {@code x / (σ + ε)} or {@code x / sqrt(σ² + ε)}, in float32 on the verl-vectorized path. */
    private static double divide(double x, double sigma, Settings s, boolean f32) {
        if (f32) {
            float sg = (float) sigma;
            float den =
                    s.epsilonOnVariance() ? (float) Math.sqrt(sg * sg + (float) s.epsilon()) : sg + (float) s.epsilon();
            return (float) x / den;
        }
        double den = s.epsilonOnVariance() ? Math.sqrt(sigma * sigma + s.epsilon()) : sigma + s.epsilon();
        return x / den;
    }
}
