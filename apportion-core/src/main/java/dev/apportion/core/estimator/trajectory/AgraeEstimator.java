package dev.apportion.core.estimator.trajectory;

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
import dev.apportion.core.stats.Broadcast;
import dev.apportion.core.stats.GroupStats;
import java.util.Map;

/**
 * A-GRAE, asymmetric group-relative advantage estimation: GRPO's advantage reweighted by a
 * difficulty curriculum driven by the batch accuracy, with positive advantages damped while
 * the batch accuracy is low.
 *
 * <p>Source: Z. Yu, Z. Chen, M. Liu, H. Zhang, L. Qu, "Unveiling Implicit Advantage Symmetry:
 * Why GRPO Struggles with Exploration and Difficulty Adaptation", arXiv 2602.05548; reference
 * code Yu7-code/A-GRAE @ 5f129ef, {@code verl/trainer/ppo/core_algos.py::compute_grpo_outcome_advantage}.
 * Fidelity: reference (the {@code reference} preset reproduces the golden vectors produced by
 * that function).
 *
 * <h2>Formula</h2>
 * Score {@code s_i} = the trajectory's outcome plus its span and token rewards (verl's row sum,
 * {@link Rollouts#scores()}); groups are the batch's groups.
 * <ol>
 *   <li>Per group: {@code μ = mean(s)}, {@code σ} = unbiased std;
 *       {@code a_i = (s_i − μ)/(σ + ε)}, or {@code s_i − μ} without
 *       {@code norm_adv_by_std_in_grpo} (Dr.GRPO).</li>
 *   <li>{@code m} = mean over groups of μ (each group counts once): the batch accuracy.</li>
 *   <li>Only when {@code grpo_weight == 2.0} exactly (the reference's switch):
 *       {@code hard = ½a/(√μ + ε)}, {@code easy = ½a/(1 − √μ + ε)},
 *       {@code a ← (1 − m)·easy + m·hard}; then for {@code a > 0}: {@code a ← a·min(1, m/α)}.
 *       Any other value returns step 1's GRPO / Dr.GRPO advantage.</li>
 *   <li>Every policy token gets {@code a_i}; returns equal the advantages.</li>
 * </ol>
 * A-GRAE is defined for accuracy rewards in [0, 1]. For scores outside it the reference takes
 * the square root of a negative mean (NaN); apportion clamps μ and m into [0, 1] inside the
 * difficulty and asymmetry weights, which changes nothing on [0, 1] rewards.
 *
 * <h2>Reference quirks and the corrected default</h2>
 * <ul>
 *   <li>{@code singleton_group}: a one-trajectory group gets μ = 0, σ = 1 in the reference, so
 *       its raw score passes through step 1 and {@code hard = ½a/ε} explodes (≈ 7.6e4 for a
 *       score of 1 in a batch with m ≈ 0.39), and its μ = 0 pulls m toward 0
 *       ({@code mean0_std1}, the {@code reference} preset). Default {@code zero}: such a group
 *       has no relative signal; its trajectory gets 0 and the group is left out of m.</li>
 *   <li>The released trainer calls this function with
 *       {@code grpo_weight = cfg + (global_step/total_steps)·(1 − cfg)} and a global step
 *       starting at 1, so with the scripts' 2.0 the value is below 2.0 from the first step and
 *       A-GRAE never runs in training; the scripts also mostly leave {@code grpo_weight} unset.
 *       apportion applies the function as written: pass exactly 2.0 to get A-GRAE.</li>
 * </ul>
 *
 * <h2>Parameters</h2>
 * {@code grpo_weight} 2.0 (A-GRAE on), {@code epsilon} 1e-6, {@code norm_adv_by_std_in_grpo}
 * true, {@code alpha} 1.0 (hard-coded for math in the reference; its comment gives 0.5 for
 * geo3k/medical), {@code singleton_group} zero.
 *
 * <h2>Edge cases</h2>
 * All-equal scores in a group give 0. A batch with no reward at all is refused
 * ({@link RolloutException}). m couples the groups, so the estimator is not group-local.
 * Computed in double precision (the reference uses float32; within the golden tolerances).
 *
 * <p>Stateless and thread-safe.
 */
public final class AgraeEstimator implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "a_grae";

    /** One-trajectory groups ({@code singleton_group}). */
    enum SingletonGroup {
        /** advantage 0, left out of m */
        ZERO,
        /** the reference's mean 0, std 1 */
        MEAN0_STD1
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("A-GRAE (asymmetric group-relative advantage with a difficulty curriculum)")
            .source(
                    "Yu et al., arXiv 2602.05548; Yu7-code/A-GRAE@5f129ef verl/trainer/ppo/core_algos.py compute_grpo_outcome_advantage")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.trajectory(
                            "reward", "a verifier's accuracy reward in [0, 1] (outcome or token rewards)")
                    .always())
            .parameters(
                    ParamSpec.real(
                            "grpo_weight",
                            2.0,
                            null,
                            null,
                            "the reference's switch: exactly 2.0 applies A-GRAE, any other value gives plain GRPO / Dr.GRPO"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std and to the difficulty denominators"),
                    ParamSpec.bool("norm_adv_by_std_in_grpo", true, "divide by the group std (GRPO); false = Dr.GRPO"),
                    ParamSpec.real(
                            "alpha", 1.0, Double.MIN_VALUE, null, "positive advantages are scaled by min(1, m/alpha)"),
                    ParamSpec.choice(
                            "singleton_group",
                            SingletonGroup.ZERO,
                            "one-trajectory groups: zero (advantage 0, left out of m) or the reference's mean 0, std 1"))
            .preset("reference", Map.of("alpha", 1.0, "singleton_group", "mean0_std1"))
            .summary(
                    "a = GRPO; if grpo_weight == 2: a = (1-m)·a/(2(1-√μ+ε)) + m·a/(2(√μ+ε)), positives ·min(1, m/α); m = mean of group means")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("norm_adv_by_std_in_grpo");
        boolean agrae = params.getDouble("grpo_weight") == 2.0;
        double alpha = params.getDouble("alpha");
        boolean singletonZero = params.getChoice("singleton_group", SingletonGroup.class) == SingletonGroup.ZERO;
        int n = batch.trajectoryCount();
        float[] adv = TokenCredit.advantagesArray(buffers, batch.tokenCount());
        if (n == 0) return Credit.builder(adv).returns(adv).build();
        double[] s = batch.scores();
        GroupStats st = GroupStats.of(batch, s);
        int groups = batch.groupCount();
        double[] mu = new double[groups];
        double[] sigma = new double[groups];
        double mSum = 0;
        int mCount = 0;
        for (int g = 0; g < groups; g++) {
            if (st.count(g) == 1) {
                mu[g] = 0;
                sigma[g] = 1;
                if (singletonZero) continue;
            } else {
                mu[g] = st.mean(g);
                sigma[g] = st.std(g, true);
            }
            mSum += mu[g];
            mCount++;
        }
        double m = mCount == 0 ? 0 : mSum / mCount;
        double mc = clamp01(m);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            if (singletonZero && st.count(g) == 1) continue;
            double x = byStd ? (s[i] - mu[g]) / (sigma[g] + eps) : s[i] - mu[g];
            if (agrae) {
                double root = Math.sqrt(clamp01(mu[g]));
                double hard = 0.5 * x / (root + eps);
                double easy = 0.5 * x / (1 - root + eps);
                x = (1 - mc) * easy + mc * hard;
                if (x > 0) x *= Math.min(1.0, mc / alpha);
            }
            a[i] = x;
        }
        Broadcast.trajectories(batch, a, adv, execution);
        return Credit.builder(adv).returns(adv).diagnostic("batch_accuracy", m).build();
    }

    private static double clamp01(double x) {
        return Math.max(0.0, Math.min(1.0, x));
    }
}
