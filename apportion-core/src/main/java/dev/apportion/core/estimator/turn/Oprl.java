package dev.apportion.core.estimator.turn;

import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
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
 * OPRL / iStar ({@code oprl}, alias {@code istar}): implicit step rewards from a process reward
 * model trained by trajectory-level DPO, turned into a step-level advantage and added to the
 * GRPO episode advantage.
 *
 * <h2>Formula</h2>
 * <ul>
 *   <li>Implicit step reward of turn {@code t} (the PRM is a language model {@code π_φ}
 *       scored against the previous policy snapshot {@code π_θold}):
 *       {@code r_t = β·Σ_{k ∈ turn t} [log π_φ(y_k) − log π_θold(y_k)]} (sum over the turn's
 *       action tokens; {@code step_reward_aggregation = mean} divides by the turn length).
 *       {@code log π_φ} is the token signal named by {@code prm_signal}
 *       ({@code prm_logprob}), {@code log π_θold} the one named by {@code reference_signal}
 *       ({@code old_logprob}).</li>
 *   <li>Episode advantage {@code A^E_i = (R_i − μ_g)/(σ_g + ε)} over the group's
 *       {@link Rollouts#scores()}, σ unbiased; a one-trajectory group gets 0.</li>
 *   <li>Step advantage {@code A^S_{i,t} = (r_{i,t} − μ)/(σ + ε)} with μ, σ (unbiased) over all
 *       turns of all trajectories of the group (no anchor-state grouping: the method is meant
 *       for tasks where states rarely repeat); a group with one turn in total gets 0.</li>
 *   <li>{@code A_{i,t} = A^E_i + α·A^S_{i,t}} on every token of turn t; context tokens 0.</li>
 * </ul>
 *
 * <h2>Source</h2>
 * X. Liu, K. Wang, Y. Wu, F. Huang, Y. Li, J. Zhang, J. Jiao, "Agentic Reinforcement Learning
 * with Implicit Step Rewards" (iStar; v1/v2 "Online Process Reward Learning for Agentic RL"),
 * arXiv 2509.19199 (ICLR 2026); code Tongyi-ConvAI/Qwen-Character, CharacterRL-iStar (only the
 * environment manager was read). Fidelity {@code reconstructed}: the implicit step reward (a
 * β-scaled log-ratio summed over the action's tokens, reference = the previous-iteration
 * policy) follows the paper; the way A^E and A^S are normalized and combined (group-pooled
 * z-score, α = 1) and β = 0.05 are our assumptions. Training the PRM (the DPO step) happens
 * outside credit assignment; this estimator consumes its log-probs.
 *
 * <h2>Parameters and presets</h2>
 * {@code beta} = 0.05 (a DPO-typical value; the paper's is unknown), {@code alpha} = 1.0,
 * {@code epsilon} = 1e-6, {@code step_reward_aggregation} = sum, {@code prm_signal} =
 * prm_logprob, {@code reference_signal} = old_logprob.
 *
 * <h2>Edge cases</h2>
 * All outcomes equal in a group: A^E = 0 and only the step term remains. A trajectory without
 * turns gets nothing. A batch without the two token signals throws a {@link RolloutException}
 * naming the one that is missing.
 *
 * <p>Stateless and thread-safe.
 */
public final class Oprl implements Estimator {
    static final String ID = "oprl";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .aliases("istar")
            .title("OPRL / iStar: implicit PRM step rewards (beta * log-ratio) + GRPO episode advantage")
            .source("Liu et al., Agentic RL with Implicit Step Rewards (iStar / OPRL), arXiv 2509.19199")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(SignalRequirement.token("prm_logprob", "the implicit PRM's log-probs of the action tokens"),
                    SignalRequirement.token(Rollouts.OLD_LOGPROB, "the previous policy snapshot (the PRM's reference)"),
                    SignalRequirement.trajectory("reward", "the outcome reward").always())
            .parameters(
                    ParamSpec.real("beta", 0.05, 0.0, null, "scale of the implicit reward (the PRM's DPO beta)"),
                    ParamSpec.real("alpha", 1.0, 0.0, null, "weight of the step-level advantage"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the stds"),
                    ParamSpec.choice("step_reward_aggregation", "sum", List.of("sum", "mean"),
                            "sum (the implicit-PRM derivation) or mean of the token log-ratios of a turn"),
                    ParamSpec.string("prm_signal", "prm_logprob", "token signal with the PRM's log-probs"),
                    ParamSpec.string("reference_signal", Rollouts.OLD_LOGPROB, "token signal with the reference log-probs"))
            .preset("paper", Map.of("beta", 0.05, "alpha", 1.0, "step_reward_aggregation", "sum"))
            .summary("r_t = beta*sum_tokens(logp_prm - logp_old); A = z_group(R) + alpha*z_group-turns(r_t)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        double beta = params.getDouble("beta");
        double alpha = params.getDouble("alpha");
        double eps = params.getDouble("epsilon");
        boolean mean = params.getString("step_reward_aggregation").equals("mean");
        float[] prm = batch.requireTokenSignal(params.getString("prm_signal"), ID, "the implicit PRM's log-probs");
        float[] ref = batch.requireTokenSignal(params.getString("reference_signal"), ID, "the PRM's reference log-probs");
        TurnTable turns = TurnTable.of(batch);
        double[] r = turns.sumOfDifference(batch, prm, ref);
        int[] len = turns.lengths(batch);
        int[] groupOfTurn = new int[r.length];
        for (int j = 0; j < r.length; j++) {
            r[j] *= beta;
            if (mean) r[j] /= len[j];
            groupOfTurn[j] = batch.trajectoryGroup(turns.trajectory(j));
        }
        double[] stepZ = GroupZScores.zscore(r, groupOfTurn, batch.groupCount(), true, true, eps);
        double[] episode = TurnTable.groupOutcomeAdvantage(batch, eps);
        double[] a = new double[r.length];
        for (int j = 0; j < a.length; j++) a[j] = episode[turns.trajectory(j)] + alpha * stepZ[j];
        return Credit.builder(turns.broadcast(batch, a, execution))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("turns", r.length)
                .build();
    }
}
