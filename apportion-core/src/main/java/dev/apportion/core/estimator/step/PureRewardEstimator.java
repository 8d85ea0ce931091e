package dev.apportion.core.estimator.step;

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
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.Map;

/**
 * PURE's min-form step reward: the soft-min transform of process-reward-model step scores,
 * and the min-form return it induces, without PURE's baselines, verifiable reward or KL term
 * (for the whole training pipeline see {@link PureEstimator}).
 *
 * <p>Source: J. Cheng et al., "Stop Summation: Min-Form Credit Assignment Is All Process
 * Reward Model Needs for Reasoning", arXiv 2504.15275 (NeurIPS 2025); reference code
 * CJReinforce/PURE @ 41f9363, {@code openrlhf/utils/utils.py::turn_process_reward_logits_to_reward}.
 * Fidelity: reference (reproduces the golden vectors produced by that function).
 *
 * <h2>Steps on apportion's model</h2>
 * A step is a policy span with at least one token; its score {@code r_k ∈ [−1, 1]} comes from
 * the span signals {@code prm_logit0}/{@code prm_logit1} (2-class PRM logits,
 * {@code r = p1 − p0}) or {@code prm} (probability that the step is correct,
 * {@code r = 2·prm − 1}); see {@code step_score}. Context spans (prompt, padding, tool output)
 * are not steps: they play the part of the reference's masked step slots.
 *
 * <h2>Formula</h2>
 * Per trajectory with steps {@code k = 0..K−1}:
 * <ul>
 *   <li>weights {@code w = softmax_k(−r_k / T)} over the trajectory's steps
 *       ({@code disable_weighted_reward}: {@code w_k = 1/K});</li>
 *   <li>process reward {@code p_k = w_k·r_k}; its sum {@code Σ_k p_k} is the reference's
 *       {@code outcome_reward}, a smooth minimum of the step scores (T → 0 gives
 *       {@code min_k r_k});</li>
 *   <li>credit: the min-form return {@code G_k = Σ_{j ≥ k} p_j} (γ = 1), the value PURE's
 *       reverse cumulative sum gives to every token of step k. Every token of step k gets
 *       {@code G_k}; {@link Credit#returns()} is the same array; {@link Credit#spanAdvantages()}
 *       holds {@code G_k} on step spans and 0 elsewhere. Hence {@code G_0} is the
 *       {@code outcome_reward} and {@code G_k − G_{k+1}} the process reward of step k.</li>
 * </ul>
 * As the paper notes, the weights are normalised over the whole trajectory, so with small T
 * the tokens after the worst step get a return close to 0, not the minimum of the later steps.
 * Computed in double precision (the reference uses float32; within the golden tolerances).
 *
 * <h2>Parameters</h2>
 * {@code temperature} T (0.1, hard-coded at PURE's call site), {@code disable_weighted_reward}
 * (false; note that uniform weights 1/K make {@code G_0} the <em>mean</em> step score, not a sum),
 * {@code credit_form} ({@code min}, the above; {@code sum}: {@code p_k = r_k}, so
 * {@code G_k = Σ_{j ≥ k} r_j} is the summation-form return the paper contrasts min-form with,
 * PURE's verl-branch {@code credit_assignment: gamma-decay} at γ = 1), {@code step_score} ({@code auto}: logits when the batch has both logit signals,
 * else {@code prm}). Preset {@code reference} = the reference's values (also the defaults; the
 * reference has no quirk in this function on inputs it accepts).
 *
 * <h2>Edge cases</h2>
 * A trajectory without steps gets 0. A step without its score signal is refused with a
 * {@link dev.apportion.core.rollout.RolloutException} naming the trajectory and span, as is a
 * {@code prm} outside [0, 1]. (The reference gives NaN for a row with no real step.)
 *
 * <p>Stateless and thread-safe; trajectories are processed in parallel with identical results.
 */
public final class PureRewardEstimator implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "pure_reward";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("PURE min-form step reward (soft-min of PRM step scores)")
            .source("Cheng et al., arXiv 2504.15275 (NeurIPS 2025); CJReinforce/PURE@41f9363 "
                    + "openrlhf/utils/utils.py turn_process_reward_logits_to_reward")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span(
                            PureSteps.PRM,
                            "a process reward model: P(step correct) per step, or its 2-class logits as span signals prm_logit0/prm_logit1"))
            .parameters(
                    ParamSpec.real(
                            "temperature",
                            0.1,
                            Double.MIN_VALUE,
                            null,
                            "soft-min temperature T of w = softmax(-r/T) (0.1, hard-coded in PURE)"),
                    ParamSpec.bool(
                            "disable_weighted_reward",
                            false,
                            "uniform weights 1/K instead of the soft-min (PURE --disable_weighted_reward)"),
                    ParamSpec.choice(
                            "step_score",
                            PureSteps.Source.AUTO,
                            "step score source: logits (span signals prm_logit0/prm_logit1), probability (span signal prm), auto"),
                    ParamSpec.choice("credit_form", PureSteps.CreditForm.MIN, PureSteps.FORM_HELP))
            .preset("reference", Map.of("temperature", 0.1, "disable_weighted_reward", false))
            .summary(
                    "p_k = softmax_k(-r_k/T)·r_k over a trajectory's steps; token credit G_k = Σ_{j≥k} p_j (G_0 ≈ min_k r_k)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages (also the returns) into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double temperature = params.getDouble("temperature");
        boolean weighted = !params.getBoolean("disable_weighted_reward");
        boolean sumForm = params.getChoice("credit_form", PureSteps.CreditForm.class) == PureSteps.CreditForm.SUM;
        float[] spanAdv = new float[batch.spanCount()];
        int n = batch.trajectoryCount();
        boolean anyStep = false;
        for (int s = 0; s < batch.spanCount() && !anyStep; s++) anyStep = PureSteps.isStep(batch, s);
        if (!anyStep) {
            float[] adv = new float[batch.tokenCount()];
            return Credit.builder(adv)
                    .returns(adv)
                    .spanAdvantages(spanAdv)
                    .diagnostic("steps", 0)
                    .build();
        }
        PureSteps.Scores scores =
                PureSteps.Scores.of(batch, params.getChoice("step_score", PureSteps.Source.class), ID);
        float[] out = buffers == null ? new float[batch.tokenCount()] : buffers.advantages(batch.tokenCount());
        int[] spanOff = batch.trajectorySpanOffsets();
        // a score and a soft-min per step, then one fill per span: work per span, not per token
        long[] stepCounts = new long[execution.chunks(batch, Execution.Cost.SPAN)];
        execution.forTrajectories(batch, Execution.Cost.SPAN, (chunk, from, to) -> {
            double[] r = new double[8];
            double[] p = new double[8];
            int[] span = new int[8];
            long steps = 0;
            for (int i = from; i < to; i++) {
                int k = 0;
                int width = spanOff[i + 1] - spanOff[i];
                if (r.length < width) {
                    r = new double[width];
                    p = new double[width];
                    span = new int[width];
                }
                for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                    if (!PureSteps.isStep(batch, s)) {
                        Arrays.fill(out, batch.spanTokenStart(s), batch.spanTokenEnd(s), 0f);
                        continue;
                    }
                    r[k] = scores.score(batch, i, s);
                    span[k++] = s;
                }
                if (sumForm) PureSteps.sumForm(r, k, p);
                else PureSteps.softMin(r, k, temperature, weighted, p);
                double g = 0;
                for (int j = k - 1; j >= 0; j--) {
                    g += p[j];
                    int s = span[j];
                    spanAdv[s] = (float) g;
                    Arrays.fill(out, batch.spanTokenStart(s), batch.spanTokenEnd(s), (float) g);
                }
                steps += k;
            }
            stepCounts[chunk] = steps;
        });
        long steps = 0;
        for (long c : stepCounts) steps += c;
        return Credit.builder(out)
                .returns(out)
                .spanAdvantages(spanAdv)
                .diagnostic("steps", steps)
                .build();
    }
}
