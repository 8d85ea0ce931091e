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
 * ADORA (LLM version): GRPO advantages, attenuated by λ for groups whose correct answers are
 * not longer than their incorrect ones ("length advantage" criterion).
 *
 * <p>Source: Q. Ren et al., "ADORA: Training Reasoning Models with Dynamic Advantage Estimation
 * on Reinforcement Learning", arXiv 2602.10019 (blog version, Mar 2025); reference code
 * ShadeCloak/ADORA @ c518485,
 * {@code ADORA/verl/trainer/ppo/core_algos.py::compute_grpo_outcome_advantage_ADORA}.
 * Fidelity: reference (the {@code reference} preset reproduces the golden vectors produced by
 * that function). For the vision-language variant see {@link AdoraVlEstimator}.
 *
 * <h2>Formula</h2>
 * Score {@code s_i} = verl's row sum ({@link Rollouts#scores()}); length {@code len_i} = the
 * trajectory's number of policy tokens (verl's {@code eos_mask} row sum).
 * <ol>
 *   <li>Per group: correct set P = {@code s > correct_score}; incorrect set N =
 *       {@code s ≤ correct_score} and {@code len < max_length_threshold} (truncated answers are
 *       left out). The group is <em>advantageous</em> iff {@code max_{P} len > mean_{N} len},
 *       with max over an empty set = −∞ and mean over an empty set = −∞ (so a group without
 *       correct answers is not advantageous; one with only correct answers is).</li>
 *   <li>{@code a_i = (s_i − mean)/(unbiased std + ε)} in groups of two or more.</li>
 *   <li>Non-advantageous groups: {@code a_i ← λ·a_i}.</li>
 *   <li>Every policy token gets {@code a_i}; returns equal the advantages.</li>
 * </ol>
 *
 * <h2>Reference quirk and the corrected default</h2>
 * {@code singleton}: a one-trajectory group keeps its raw score as its advantage in the reference
 * (verl's mean 0, std 1 convention; {@code raw}, the {@code reference} preset), times λ when not
 * advantageous. Default {@code zero}: such a group has no relative signal and gets 0.
 *
 * <h2>Parameters</h2>
 * {@code epsilon} 1e-6, {@code correct_score} 1.01 (Logic-RL's K&amp;K scale: 3 correct,
 * −0.5/−1 wrong or malformed), {@code lamda} 0.1, {@code max_length_threshold} 3900
 * ({@code ADORA.sh}), {@code singleton} zero.
 *
 * <h2>Edge cases</h2>
 * All-equal scores give 0. A batch with no reward is refused ({@link RolloutException}).
 * Computed in double precision (the reference uses float32; within the golden tolerances).
 *
 * <p>Stateless and thread-safe; group-local.
 */
public final class AdoraEstimator implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "adora";

    /** What a one-trajectory group gets ({@code singleton}). */
    enum Singleton {
        /** 0 */
        ZERO,
        /** the reference's raw score */
        RAW
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("ADORA (length-advantage weighting of GRPO advantages, LLM version)")
            .source("Ren et al., arXiv 2602.10019; ShadeCloak/ADORA@c518485 ADORA/verl/trainer/ppo/core_algos.py "
                    + "compute_grpo_outcome_advantage_ADORA")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(SignalRequirement.trajectory("reward", "a verifier's score (outcome or token rewards)")
                    .always())
            .parameters(
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std"),
                    ParamSpec.real(
                            "correct_score", 1.01, null, null, "a score above this is a correct answer (K&K scale)"),
                    ParamSpec.real("lamda", 0.1, null, null, "factor on the advantages of non-advantageous groups"),
                    ParamSpec.real(
                            "max_length_threshold",
                            3900.0,
                            0.0,
                            null,
                            "incorrect answers at least this long (truncated) are left out of the length criterion"),
                    ParamSpec.choice(
                            "singleton", Singleton.ZERO, "one-trajectory groups: zero, or the reference's raw score"))
            .preset("reference", Map.of("singleton", "raw"))
            .summary("a = GRPO z-score; a *= lamda unless max len(correct) > mean len(incorrect, untruncated)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double eps = params.getDouble("epsilon");
        double correct = params.getDouble("correct_score");
        double lamda = params.getDouble("lamda");
        double maxLen = params.getDouble("max_length_threshold");
        boolean raw = params.getChoice("singleton", Singleton.class) == Singleton.RAW;
        int n = batch.trajectoryCount();
        float[] adv = TokenCredit.advantagesArray(buffers, batch.tokenCount());
        if (n == 0) return Credit.builder(adv).returns(adv).build();
        double[] s = batch.scores();
        GroupStats st = GroupStats.of(batch, s);
        int groups = batch.groupCount();
        int[] start = batch.groupMemberStart();
        int[] members = batch.groupMembers();
        boolean[] advantageous = new boolean[groups];
        int attenuated = 0;
        for (int g = 0; g < groups; g++) {
            double maxPos = Double.NEGATIVE_INFINITY;
            double negSum = 0;
            int negCount = 0;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                int len = batch.policyTokenCount(i);
                if (s[i] > correct) maxPos = Math.max(maxPos, len);
                else if (len < maxLen) {
                    negSum += len;
                    negCount++;
                }
            }
            double meanNeg = negCount == 0 ? Double.NEGATIVE_INFINITY : negSum / negCount;
            advantageous[g] = maxPos > meanNeg;
            if (!advantageous[g]) attenuated++;
        }
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            double x;
            if (st.count(g) == 1) x = raw ? s[i] : 0;
            else x = (s[i] - st.mean(g)) / (st.std(g, true) + eps);
            a[i] = advantageous[g] ? x : lamda * x;
        }
        Broadcast.trajectories(batch, a, adv, execution);
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("groups_attenuated", attenuated)
                .build();
    }
}
