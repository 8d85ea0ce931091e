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
 * ADORA-VL: OpenRLHF's outcome shaping (RLOO, REINFORCE baseline, group normalisation or plain
 * REINFORCE) multiplied by ADORA's per-group weight (vision-language version).
 *
 * <p>Source: Q. Ren et al., "ADORA: Training Reasoning Models with Dynamic Advantage Estimation
 * on Reinforcement Learning", arXiv 2602.10019; reference code ShadeCloak/ADORA @ c518485,
 * {@code ADORA_VL/openrlhf/trainer/ppo_utils/experience_maker_vl.py} ({@code weight_func},
 * {@code NaiveExperienceMakerVL.process_experiences}). Fidelity: reference (the
 * {@code reference} preset reproduces the golden vectors produced by that code).
 *
 * <h2>Formula</h2>
 * Reward {@code r_i} = the trajectory's score ({@link Rollouts#scores()}: OpenRLHF's scalar
 * reward is the outcome); length = number of policy tokens; groups = the prompts (OpenRLHF's
 * blocks of {@code n_samples_per_prompt} consecutive samples).
 * <ol>
 *   <li>Weight per group: correct = {@code r > correct_threshold}; other =
 *       {@code r ≤ correct_threshold} and {@code length < max_length_threshold}. Weight 1 when
 *       the correct set is empty or {@code max len(correct) > mean len(other)}, else λ
 *       ({@code adora_lamda}, rounded to float32 as the reference stores it).</li>
 *   <li>Shaped reward ({@code advantage_estimator}), sums and means over the group:
 *       {@code rloo}: {@code (r_i − (Σr − r_i)/(n−1))·w}; {@code reinforce_baseline}:
 *       {@code (r_i − mean r)·w}; {@code group_norm}: {@code (r_i − mean r)/(unbiased std + 1e−9)·w};
 *       {@code reinforce}: {@code r_i·w}. Without {@code use_adora}, w = 1.</li>
 *   <li>Every policy token gets the shaped reward: OpenRLHF's undiscounted return of a
 *       sequence reward (its KL term is not part of this estimator); returns equal the
 *       advantages.</li>
 * </ol>
 *
 * <h2>Reference quirk and the corrected default</h2>
 * {@code empty_other}: when the "other" set is empty (all answers correct, or every incorrect
 * one truncated) the reference takes its mean length as +∞, so the group gets λ — the opposite
 * of the LLM version ({@link AdoraEstimator}), where such a group is advantageous
 * ({@code lamda}, the {@code reference} preset). Default {@code one}: weight 1, as in the LLM
 * version. This matters only for {@code reinforce}; the other estimators give 0 to a group of
 * equal rewards.
 *
 * <h2>Parameters</h2>
 * {@code advantage_estimator} group_norm and {@code adora_lamda} 0.1 (as in
 * {@code qwen25vl_7b_geo3k_adora.sh} and {@code weight_func}), {@code use_adora} true,
 * {@code correct_threshold} 0.5, {@code max_length_threshold} 4094 (constants in the
 * reference), {@code empty_other} one.
 *
 * <h2>Edge cases</h2>
 * {@code rloo} and {@code group_norm} refuse a one-trajectory group ({@link RolloutException}:
 * the reference divides by n − 1 = 0 or takes the std of one sample, giving NaN). A batch with
 * no reward is refused.
 *
 * <p>Stateless and thread-safe; group-local.
 */
public final class AdoraVlEstimator implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "adora_vl";

    /** OpenRLHF's outcome shaping ({@code advantage_estimator}). */
    enum Shaping {
        /** (r − mean)/(unbiased std + 1e-9) */
        GROUP_NORM,
        /** r − mean of the others */
        RLOO,
        /** r − mean */
        REINFORCE_BASELINE,
        /** r */
        REINFORCE
    }

    /** Weight of a group whose incorrect, untruncated set is empty ({@code empty_other}). */
    public enum EmptyOther {
        /** 1, as the LLM version */
        ONE,
        /** the reference's lamda */
        LAMDA
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("ADORA-VL (ADORA weight on OpenRLHF outcome shaping)")
            .source(
                    "Ren et al., arXiv 2602.10019; ShadeCloak/ADORA@c518485 ADORA_VL/openrlhf/trainer/ppo_utils/experience_maker_vl.py "
                            + "weight_func + NaiveExperienceMakerVL.process_experiences")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(SignalRequirement.trajectory("reward", "an accuracy reward (outcome)")
                    .always())
            .parameters(
                    ParamSpec.choice(
                            "advantage_estimator",
                            Shaping.GROUP_NORM,
                            "OpenRLHF outcome shaping the weight multiplies: group_norm, rloo, reinforce_baseline, reinforce"),
                    ParamSpec.real("adora_lamda", 0.1, null, null, "weight of non-advantageous groups"),
                    ParamSpec.bool("use_adora", true, "apply the ADORA weight (false: weight 1)"),
                    ParamSpec.real("correct_threshold", 0.5, null, null, "a reward above this is a correct answer"),
                    ParamSpec.real(
                            "max_length_threshold",
                            4094.0,
                            0.0,
                            null,
                            "incorrect answers at least this long (truncated) are left out of the length criterion"),
                    ParamSpec.choice(
                            "empty_other",
                            EmptyOther.ONE,
                            "weight of a group whose incorrect, untruncated set is empty: 1, or the reference's lamda"))
            .preset(
                    "reference",
                    Map.of("empty_other", "lamda", "correct_threshold", 0.5, "max_length_threshold", 4094.0))
            .summary(
                    "w = 1 if no correct answer or max len(correct) > mean len(other) else lamda; advantage = OpenRLHF shaping · w")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * The ADORA-VL weight of every group of {@code batch}, one per group.
     *
     * @param rewards read, one per trajectory
     * @param emptyOtherLamda the reference's +∞ mean for an empty "other" set
     */
    public static double[] groupWeights(
            Rollouts batch,
            double[] rewards,
            double lamda,
            double correctThreshold,
            double maxLength,
            boolean emptyOtherLamda) {
        int groups = batch.groupCount();
        int[] start = batch.groupMemberStart();
        int[] members = batch.groupMembers();
        double[] w = new double[groups];
        double lam = (float) lamda;
        for (int g = 0; g < groups; g++) {
            double maxC = Double.NEGATIVE_INFINITY;
            int correct = 0;
            double otherSum = 0;
            int other = 0;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                int len = batch.policyTokenCount(i);
                if (rewards[i] > correctThreshold) {
                    maxC = Math.max(maxC, len);
                    correct++;
                } else if (len < maxLength) {
                    otherSum += len;
                    other++;
                }
            }
            double meanO = other > 0
                    ? otherSum / other
                    : emptyOtherLamda ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
            w[g] = (correct == 0 || maxC > meanO) ? 1.0 : lam;
        }
        return w;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Shaping est = params.getChoice("advantage_estimator", Shaping.class);
        int n = batch.trajectoryCount();
        float[] adv = TokenCredit.advantagesArray(buffers, batch.tokenCount());
        if (n == 0) return Credit.builder(adv).returns(adv).build();
        double[] r = batch.scores();
        int groups = batch.groupCount();
        if (est == Shaping.RLOO || est == Shaping.GROUP_NORM) {
            for (int g = 0; g < groups; g++) {
                if (batch.groupSize(g) < 2) {
                    int i = batch.groupMembers()[batch.groupMemberStart()[g]];
                    throw new RolloutException(
                            batch.describe(i) + ": group '" + batch.groupKey(g) + "' has 1 trajectory; "
                                    + "advantage_estimator '" + est.name().toLowerCase(java.util.Locale.ROOT)
                                    + "' needs at least 2 samples per prompt (the reference gives NaN)",
                            i,
                            "group");
                }
            }
        }
        double[] w;
        if (params.getBoolean("use_adora")) {
            w = groupWeights(
                    batch,
                    r,
                    params.getDouble("adora_lamda"),
                    params.getDouble("correct_threshold"),
                    params.getDouble("max_length_threshold"),
                    params.getChoice("empty_other", EmptyOther.class) == EmptyOther.LAMDA);
        } else {
            w = new double[groups];
            java.util.Arrays.fill(w, 1.0);
        }
        GroupStats st = GroupStats.of(batch, r);
        double[] a = new double[n];
        int weighted = 0;
        for (int g = 0; g < groups; g++) if (w[g] != 1.0) weighted++;
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            int size = st.count(g);
            double x;
            switch (est) {
                case RLOO:
                    x = r[i] - (st.sum(g) - r[i]) / (size - 1);
                    break;
                case REINFORCE_BASELINE:
                    x = r[i] - st.mean(g);
                    break;
                case GROUP_NORM:
                    x = (r[i] - st.mean(g)) / (st.std(g, true) + 1e-9);
                    break;
                default:
                    x = r[i];
                    break;
            }
            a[i] = x * w[g];
        }
        Broadcast.trajectories(batch, a, adv, execution);
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("groups_weighted", weighted)
                .build();
    }
}
