package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import java.util.Map;

/**
 * C3 contextual counterfactual credit, Rule-B sibling-group provider ({@code c3}): the nodes of
 * a prefix-tree rollout that share a parent (one role's alternative actions in the same
 * context) form a sibling group; each node's credit is its team reward minus a leave-one-out
 * baseline over its siblings, taken from the rewards, from a centralised Q critic, or a mix.
 *
 * <h2>Formula</h2>
 * One trajectory per tree node (its tokens = the node's action; group = its sibling group,
 * {@code adv_group_id}); {@code outcome} = the node's team reward r (the subtree mean of leaf
 * rewards, computed by the rollout), trajectory signal {@code q_value} = the critic's score q of
 * the node's prefix, trajectory signal {@code depth} = the node's tree depth. For a group of n
 * nodes:
 * <ul>
 *   <li>{@code fanout_list} given: the depth must index it, and n must equal
 *       {@code fanout[depth]}, or, with {@code no_replay} and depth &gt; 0,
 *       {@code fanout[0]·…·fanout[depth]}; otherwise an error (the reference fails fast).</li>
 *   <li>n ≤ 1 → 0.</li>
 *   <li>baseline {@code b(v)}: {@code loo} = {@code (Σv − v_i)/(n − 1)}; {@code full_mean} = mean(v).</li>
 *   <li>{@code reward_only}: {@code A = r − b(r)}; {@code value_only}: {@code A = q − b(q)};
 *       {@code value_assisted}: {@code A = r − ((1 − α)·b(r) + α·b(q))}.</li>
 * </ul>
 * A node without a team reward (a row the tree routing left out) is an error. The scalar is
 * broadcast over the node's policy tokens.
 *
 * <h2>Source</h2>
 * C3, arXiv 2603.06859; code EIT-EAST-Lab/C3 @ 628185becc70732771393be28d087e88f0a4a5e8,
 * {@code c3/credit/c3/provider.py} {@code C3CreditProvider.compute} (with {@code _baseline_loo},
 * {@code _baseline_full_mean}, {@code _check_group_size}); defaults from
 * {@code openrlhf/cli/train_ppo_ray_tooling.py}. Fidelity {@code reference}: matches the 14
 * public golden cases of {@code multi-agent.md} §4.
 *
 * <h2>Parameters and presets</h2>
 * {@code credit_variant} value_assisted (CLI default), {@code baseline_mode} loo,
 * {@code va_alpha} 1.0, {@code fanout_list} empty (no check), {@code no_replay} false,
 * {@code q_signal} "q_value" (the trajectory signal read as the critic's score). Presets
 * {@code paper} (= defaults) and {@code reward_only}.
 *
 * <h2>Edge cases</h2>
 * With α = 1 the advantage is {@code r − mean_{j≠i} q_j}: it does not sum to 0 in a group. The
 * optional per-group z-scoring of {@code experience_maker._compute_c3_credit}
 * ({@code normalize_adv}) is not part of the provider and is not applied. The role DAG only
 * orders the groups in the reference; it does not change any value.
 *
 * <p>Stateless and thread-safe.
 */
public final class C3 implements BufferedEstimator {
    /** Values of the {@code baseline_mode} parameter (lower-case names on the wire). */
    enum BaselineMode {
        LOO,
        FULL_MEAN
    }

    /** Values of the {@code credit_variant} parameter (lower-case names on the wire). */
    enum CreditVariant {
        VALUE_ASSISTED,
        REWARD_ONLY,
        VALUE_ONLY
    }

    public static final String ID = "c3";
    /** Trajectory signal: the centralised critic's Q score of the node's prefix. */
    public static final String Q_VALUE = "q_value";
    /** Trajectory signal: the node's depth in the rollout tree. */
    public static final String DEPTH = "depth";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("C3: contextual counterfactual credit with leave-one-out sibling baselines (reward and/or Q critic)")
            .source("C3, arXiv 2603.06859; EIT-EAST-Lab/C3@628185b c3/credit/c3/provider.py C3CreditProvider.compute")
            .granularity(Granularity.MULTI_AGENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory("outcome", "the node's team reward (subtree mean of leaf rewards)"),
                    SignalRequirement.trajectory(Q_VALUE, "the centralised Q critic (value_assisted, value_only)"))
            .parameters(
                    ParamSpec.choice(
                            "credit_variant",
                            CreditVariant.VALUE_ASSISTED,
                            "signal and baseline: reward - mixed baseline, reward only, or critic only"),
                    ParamSpec.choice("baseline_mode", BaselineMode.LOO, "leave-one-out or full sibling mean"),
                    ParamSpec.real("va_alpha", 1.0, 0.0, 1.0, "weight of the critic's baseline in value_assisted"),
                    ParamSpec.realList(
                            "fanout_list", List.of(), "expected sibling-group size per depth (empty = no check)"),
                    ParamSpec.bool(
                            "no_replay",
                            false,
                            "flat groups: a group at depth d > 0 holds fanout[0]*...*fanout[d] nodes"),
                    ParamSpec.string("q_signal", Q_VALUE, "trajectory signal holding the critic's Q score"))
            .preset("paper", Map.of())
            .preset("reward_only", Map.of("credit_variant", "reward_only"))
            .summary("A_i = r_i - ((1-alpha)*LOO(r)_i + alpha*LOO(q)_i) within each sibling group")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        CreditVariant variant = params.getChoice("credit_variant", CreditVariant.class);
        boolean loo = params.getChoice("baseline_mode", BaselineMode.class) == BaselineMode.LOO;
        double alpha = params.getDouble("va_alpha");
        double[] fanout = params.getDoubleList("fanout_list");
        boolean noReplay = params.getBoolean("no_replay");
        int n = batch.trajectoryCount();
        float[] r = batch.outcome();
        for (int i = 0; i < n; i++) {
            if (r == null || Float.isNaN(r[i])) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + ID + "' found no team reward (outcome) for this node:"
                                + " every row must be routed to a sibling group",
                        i,
                        "outcome");
            }
        }
        float[] q = null;
        if (variant != CreditVariant.REWARD_ONLY)
            q = batch.requireTrajectorySignal(params.getString("q_signal"), ID, "the centralised Q critic");
        float[] depth = fanout.length > 0
                ? batch.requireTrajectorySignal(DEPTH, ID, "the node's depth in the rollout tree")
                : null;
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        double[] a = new double[n];
        for (int g = 0; g < batch.groupCount(); g++) {
            int size = start[g + 1] - start[g];
            if (depth != null) checkSize(batch, members[start[g]], depth[members[start[g]]], size, fanout, noReplay, g);
            if (size <= 1) continue;
            double sr = 0;
            double sq = 0;
            for (int j = start[g]; j < start[g + 1]; j++) {
                sr += r[members[j]];
                if (q != null) sq += q[members[j]];
            }
            for (int j = start[g]; j < start[g + 1]; j++) {
                int i = members[j];
                double br = loo ? (sr - r[i]) / (size - 1) : sr / size;
                double bq = q == null ? 0 : (loo ? (sq - q[i]) / (size - 1) : sq / size);
                switch (variant) {
                    case REWARD_ONLY:
                        a[i] = r[i] - br;
                        break;
                    case VALUE_ONLY:
                        a[i] = q[i] - bq;
                        break;
                    default:
                        a[i] = r[i] - ((1 - alpha) * br + alpha * bq);
                        break;
                }
            }
        }
        float[] adv = AgentOutput.advantages(batch, buffers); // every token is written
        dev.apportion.core.stats.Broadcast.trajectories(batch, a, adv, execution);
        return Credit.builder(adv).diagnostic("groups", batch.groupCount()).build();
    }

    private static void checkSize(
            Rollouts batch, int i, float depth, int size, double[] fanout, boolean noReplay, int g) {
        int d = (int) depth;
        if (d != depth || d < 0 || d >= fanout.length) {
            throw new RolloutException(
                    batch.describe(i) + ": estimator '" + ID + "': sibling group '" + batch.groupKey(g) + "' has depth "
                            + depth + ", which fanout_list (" + fanout.length + " levels) does not cover",
                    i,
                    "signals." + DEPTH);
        }
        long want = (long) fanout[d];
        if (noReplay && d > 0) {
            want = 1;
            for (int k = 0; k <= d; k++) want *= (long) fanout[k];
        }
        if (size != want) {
            throw new RolloutException(
                    batch.describe(i) + ": estimator '" + ID + "': sibling group '" + batch.groupKey(g) + "' at depth "
                            + d + " has " + size + " nodes but fanout_list expects " + want
                            + " (missing or extra nodes)",
                    i,
                    "group");
        }
    }
}
