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
import dev.apportion.core.kernel.PaperSteps;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * VinePPO's step advantages from Monte-Carlo value estimates ({@code vineppo}): the value of the
 * state before each reasoning step is the mean return of fresh rollouts sampled from it, and a
 * step's advantage is the one-step TD error of those values.
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} with steps {@code k = 0 … K−1} (its policy spans, see
 * {@link PaperSteps}), {@code V_k} = span signal {@code value_signal} of step {@code k} (the MC
 * value of the prefix that ends just before the step; {@code V_0} is the prompt's value),
 * {@code V_K = 0} (terminal), and rewards {@code r_k} = 0 except the outcome on the last step:
 * <pre>
 *   A_k = r_k + γ·V_{k+1} − V_k
 * </pre>
 * Every token of step {@code k} gets {@code A_k}; then ({@code whiten}) the advantages are whitened
 * over the policy tokens of the batch ({@code (A − μ)·rsqrt(var + 1e-8)}, unbiased variance).
 *
 * <p>Steps whose value was not estimated (NaN): the reference estimates values only up to
 * {@code max_step_for_value_estimation} and fills the rest from the end with the trajectory's own
 * return, {@code V_k = r_k + V_{k+1}}. Here a trailing run of steps without a value is filled the
 * same way (with γ); a missing value followed by a present one is an error, as in the reference.
 *
 * <h2>Source</h2>
 * A. Kazemnejad, M. Aghajohari, E. Portelance, A. Sordoni, S. Reddy, A. Courville, N. Le Roux,
 * "VinePPO: Refining Credit Assignment in RL Training of LLMs", arXiv 2410.01679; code
 * McGill-NLP/VinePPO@f636a54 ({@code math_episode_generator_with_mc_advantages.py}
 * {@code _compute_step_advantages}, {@code ppo_trainer.py} whitening of precomputed advantages,
 * {@code trainers/utils.py masked_whiten}). Fidelity {@code paper}: the code was read, not run;
 * no golden vectors. Difference: the reference whitens per training mini-batch (64 episodes in
 * its MATH config); here the whole batch passed in is whitened, so pass one mini-batch to
 * reproduce it. The reference has γ = 1 and no KL term in the advantage (its KL is a loss term).
 *
 * <h2>Parameters</h2>
 * {@code value_signal} = mc_value, {@code gamma} = 1, {@code whiten} = true, {@code step_rewards} =
 * outcome (VinePPO) or outcome_and_span_rewards (adds each step's span reward on that step).
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy spans gets nothing. A missing outcome is a
 * {@link dev.apportion.core.rollout.RolloutException}; so is a value missing before a present one.
 * Fewer than two policy tokens in the batch: whitening is skipped. Span advantages hold the
 * unwhitened {@code A_k}; returns are {@code r_k + γ·V_{k+1}} (the MC target of {@code V_k}).
 *
 * <p>Cost: one backward pass over each trajectory's steps, the batch whitening's two sums taken per
 * step in token order ({@code RepeatedSum}: a chain through the whole batch, each step's
 * addition depending on the previous one), then two broadcasts of step values to the tokens
 * (advantages and returns).
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class VinePpo implements BufferedEstimator {
    /** Values of the {@code step_rewards} parameter (lower-case names on the wire). */
    enum StepRewards {
        OUTCOME,
        OUTCOME_AND_SPAN_REWARDS
    }

    /** Registry id. */
    public static final String ID = "vineppo";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("VinePPO: step advantages r + γV_MC(next) − V_MC(step) from Monte-Carlo value estimates")
            .source("Kazemnejad et al., arXiv 2410.01679; McGill-NLP/VinePPO@f636a54 "
                    + "math_episode_generator_with_mc_advantages.py _compute_step_advantages")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.PAPER)
            .groupLocal(false)
            .requires(
                    SignalRequirement.trajectory("outcome", "the verifier"),
                    SignalRequirement.span(
                            "mc_value",
                            "Monte-Carlo rollouts from the state before the step: "
                                    + "their mean return (or the span signal named by value_signal)"))
            .parameters(
                    ParamSpec.string("value_signal", "mc_value", "span signal: MC value of the state before the step"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount per step"),
                    ParamSpec.bool(
                            "whiten", true, "whiten advantages over the batch's policy tokens (VinePPO trainer)"),
                    ParamSpec.choice(
                            "step_rewards",
                            StepRewards.OUTCOME,
                            "outcome on the last step only, or plus each step's span reward"))
            .preset("paper", Map.of("gamma", 1.0, "whiten", true, "step_rewards", "outcome"))
            .summary("A_k = r_k + γ·V_MC(s_{k+1}) − V_MC(s_k), V after the last step = 0; batch-whitened")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes advantages and returns into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String name = params.getString("value_signal");
        double gamma = params.getDouble("gamma");
        boolean whiten = params.getBoolean("whiten");
        boolean spanRewards =
                params.getChoice("step_rewards", StepRewards.class) == StepRewards.OUTCOME_AND_SPAN_REWARDS;
        PaperSteps steps = PaperSteps.of(batch);
        double[] values = steps.signal(batch, name, ID, "Monte-Carlo value of the state before the step", true);
        double[] rewards = steps.outcomeRewards(batch, ID, spanRewards);

        double[] adv = new double[steps.total()];
        double[] target = new double[steps.total()];
        int filled = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int from = steps.start(i);
            int to = steps.end(i);
            double next = 0;
            boolean trailing = true;
            for (int k = to - 1; k >= from; k--) {
                if (Double.isNaN(values[k])) {
                    if (!trailing)
                        throw steps.missing(batch, k, name, ID, "Monte-Carlo value of the state before the step");
                    values[k] = rewards[k] + gamma * next;
                    filled++;
                } else {
                    trailing = false;
                }
                target[k] = rewards[k] + gamma * next;
                adv[k] = target[k] - values[k];
                next = values[k];
            }
        }
        return StepCredit.withReturns(batch, steps, adv, target, whiten, execution, buffers)
                .diagnostic("steps", steps.total())
                .diagnostic("values_filled_from_return", filled)
                .build();
    }
}
