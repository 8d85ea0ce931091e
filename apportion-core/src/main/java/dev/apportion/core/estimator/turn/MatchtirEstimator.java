package dev.apportion.core.estimator.turn;

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
import dev.apportion.core.kernel.DenseRewards;
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnBoundaries;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.GroupStats;
import java.util.Map;

/**
 * MatchTIR's dual-level advantage ({@code matchtir}): the mean of a GRPO trajectory advantage
 * and a turn advantage that z-scores each turn's discounted return against the same turn of the
 * other rollouts of the prompt.
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} of group {@code g} with turns {@code j = 0..T_i−1}:
 * <ul>
 *   <li>score {@code s_i} = {@link Rollouts#scores()} (outcome + span rewards + every token
 *       reward, as verl sums the whole row); {@code A_traj,i = (s_i − μ_g)/(σ_g + ε)}, or
 *       {@code s_i − μ_g} when {@code normalize_by_std} is false, with the unbiased std; a
 *       group of one keeps {@code s_i/(1 + ε)} (mean 0, std 1).</li>
 *   <li>turn reward {@code r_ij} = the dense reward at the turn's last token
 *       ({@link Rollouts#denseTokenRewards()}: the token {@code reward} there, plus the span's
 *       reward, plus the outcome on the trajectory's last policy token);
 *       {@code G_ij = r_ij + turn_gamma·G_i,j+1}.</li>
 *   <li>{@code A_turn,ij = (G_ij − μ_gj)/(σ_gj + ε)} over the trajectories of group {@code g}
 *       that have a turn {@code j} (unbiased std). This part always divides by the std, as
 *       the reference does. A (group, turn) cell with one member keeps
 *       {@code G_ij/(1 + ε)} under {@code singleton_turn = raw} (the reference), or gets 0
 *       under {@code zero}.</li>
 *   <li>advantage of every token of turn {@code j}: {@code (A_traj,i + A_turn,ij)/2}; context
 *       tokens get 0.</li>
 * </ul>
 * Turns are the non-empty policy spans (the reference cuts turns at runs of
 * {@code response_mask == 1}; the verl-layout adapter makes each such run a policy span).
 *
 * <h2>Source</h2>
 * Qu et al., "MatchTIR: Fine-Grained Supervision for Tool-Integrated Reasoning via Bipartite
 * Matching", arXiv 2601.10712; code quchangle1/MatchTIR @ f614ce1,
 * {@code Code/verl/trainer/ppo/core_algos.py} ({@code compute_grpo_outcome_advantage}, which
 * the authors replaced with the dual-level version). Fidelity {@code reference}: the golden
 * vectors of {@code matchtir-and-siop.jsonl} pass.
 *
 * <h2>Parameters and presets</h2>
 * {@code turn_gamma} = 0.9 (hard-coded as {@code lam} in the reference), {@code epsilon} =
 * 1e-6, {@code normalize_by_std} = true (verl's {@code norm_adv_by_std_in_grpo}, trajectory part
 * only), {@code singleton_turn} = raw. Presets: {@code reference} (the defaults) and
 * {@code corrected} ({@code singleton_turn = zero}: a turn index that only one rollout of the
 * group reached has no baseline, and its raw, unnormalized return would otherwise be mixed
 * with z-scores).
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy tokens has no turn: it enters its group's score statistics and
 * gets no credit (the reference crashes on such a row). A policy span with no tokens is not a
 * turn (its span reward still counts in the score). All-equal scores give 0. Returns equal the
 * advantages (as in the reference); span advantages are the fused turn values.
 *
 * <h2>Cost</h2>
 * One read of every token reward for the scores (verl sums the whole row; the sums of four
 * trajectories advance together in {@link Rollouts#scores()}, as a single chain of double additions
 * runs at one addition's latency per token), one reward per turn end, per-turn statistics, and one
 * fill per turn of the advantages (the returns are the same array when buffers are given).
 *
 * <p>Stateless and thread-safe.
 */
public final class MatchtirEstimator implements BufferedEstimator {
    static final String ID = "matchtir";

    /** Values of {@code singleton_turn}. */
    enum SingletonTurn {
        RAW,
        ZERO
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("MatchTIR dual-level (trajectory + turn) advantage")
            .source("Qu et al., arXiv 2601.10712; quchangle1/MatchTIR@f614ce1 Code/verl/trainer/ppo/core_algos.py "
                    + "compute_grpo_outcome_advantage (dual-level)")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(SignalRequirement.token(
                            Rollouts.REWARD,
                            "the turn reward function (reward at each turn's last token), or span rewards / an outcome")
                    .always())
            .parameters(
                    ParamSpec.real(
                            "turn_gamma",
                            0.9,
                            0.0,
                            1.0,
                            "discount of the turn return G_j = r_j + turn_gamma*G_{j+1} (hard-coded 0.9 in the reference)"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std (both parts)"),
                    ParamSpec.bool(
                            "normalize_by_std",
                            true,
                            "divide the trajectory part by the group std (verl norm_adv_by_std_in_grpo); the turn part always divides"),
                    ParamSpec.choice(
                            "singleton_turn",
                            SingletonTurn.RAW,
                            "a (group, turn) cell with one member: raw keeps G/(1+eps) as the reference does, zero gives 0"))
            .preset(
                    "reference",
                    Map.of("turn_gamma", 0.9, "epsilon", 1e-6, "normalize_by_std", true, "singleton_turn", "raw"))
            .preset("corrected", Map.of("singleton_turn", "zero"))
            .summary("A_ij = (GRPO(s_i) + z_{group,turn j}(G_ij))/2, G_ij = r_ij + 0.9*G_i,j+1; turns = policy spans")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double gamma = params.getDouble("turn_gamma");
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("normalize_by_std");
        boolean singletonZero = params.getChoice("singleton_turn", SingletonTurn.class) == SingletonTurn.ZERO;

        int n = batch.trajectoryCount();
        int[] groupOf = batch.trajectoryGroups();
        double[] scores = batch.scores();
        double[] trajAdv = GroupZScores.verl(scores, groupOf, batch.groupCount(), eps, byStd);

        TurnBoundaries turns = TurnBoundaries.policySpanEnds(batch, execution);
        double[] ret = DenseRewards.at(batch, turns.tokens, turns.trajectory);
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int j = turns.offsets[i + 1] - 1; j >= turns.offsets[i]; j--) {
                acc = ret[j] + gamma * acc;
                ret[j] = acc;
            }
        }
        int[] key = new int[turns.size()];
        for (int j = 0; j < key.length; j++) key[j] = turns.indexInTrajectory(j);
        int[] cellCount = new int[1];
        int[] cell = TurnBoundaries.cells(key, turns.trajectory, groupOf, batch.groupCount(), cellCount);
        GroupStats st = GroupStats.of(ret, cell, cellCount[0]);
        double[] fused = new double[turns.size()];
        for (int j = 0; j < fused.length; j++) {
            int c = cell[j];
            double turnAdv;
            if (st.count(c) == 1) {
                turnAdv = singletonZero ? 0.0 : ret[j] / (1.0 + eps);
            } else {
                turnAdv = (ret[j] - st.mean(c)) / (Math.sqrt(st.unbiasedVariance(c)) + eps);
            }
            fused[j] = (trajAdv[turns.trajectory[j]] + turnAdv) / 2.0;
        }
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        turns.broadcast(batch, fused, 0f, adv, execution);
        return Credit.builder(adv)
                .returns(buffers == null ? adv.clone() : adv)
                .spanAdvantages(spanValues(batch, fused))
                .diagnostic("turns", turns.size())
                .diagnostic("turn_cells", cellCount[0])
                .build();
    }

    /**
     * The span advantages: {@code (float) fused[j]} on the {@code j}-th non-empty policy span of the
     * batch (turn {@code j} of {@link TurnBoundaries#policySpanEnds}, whose last token carries that
     * value), 0 elsewhere. The same values as {@link TurnBoundaries#spanValues} reads back from the
     * token advantages, taken from the turns instead, so the caller does not read the token array
     * another thread has just written.
     */
    private static float[] spanValues(Rollouts batch, double[] fused) {
        int[] tokOff = batch.spanTokenOffsets();
        float[] out = new float[batch.spanCount()];
        int j = 0;
        for (int s = 0; s < out.length; s++) {
            if (batch.isPolicySpan(s) && tokOff[s + 1] > tokOff[s]) out[s] = (float) fused[j++];
        }
        return out;
    }
}
