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
import dev.apportion.core.kernel.StepTokens;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * GRPO with process supervision ({@code grpo_process}): every step's process reward is
 * normalized against all step rewards of the prompt group, and a token's advantage is the sum of
 * the normalized rewards of its step and all later steps.
 *
 * <h2>Formula</h2>
 * For group {@code g} with trajectories {@code i} and steps {@code k} (the policy spans, see
 * {@link PaperSteps}), process rewards {@code r_{i,k}} and {@code R_g} the set of all of them:
 * <pre>
 *   r̃_{i,k} = (r_{i,k} − mean(R_g)) / (std(R_g) + ε)
 *   A_{i,t} = Σ_{k' ≥ k(t)} r̃_{i,k'}        for every token t of step k(t)
 * </pre>
 * i.e. the sum over the steps whose end index is at or after the token. Context tokens get 0.
 *
 * <h2>Inputs</h2>
 * {@code source = span_signal} (default) reads the span signal named by {@code process_signal}
 * (default {@code prm}: a process reward model's score of each step); {@code source = span_reward}
 * reads the span rewards. Every step needs a value.
 *
 * <h2>Source</h2>
 * Z. Shao et al., "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language
 * Models", arXiv 2402.03300, §4.1.3 ("process supervision RL with GRPO"). Fidelity {@code paper}.
 * The paper does not name the standard-deviation convention nor an ε; the defaults follow torch
 * ({@code std = unbiased}) and the GRPO implementations ({@code ε = 1e-6} added to the std).
 *
 * <h2>Edge cases</h2>
 * A group whose step rewards are all equal gets 0 everywhere (the numerator is 0). A group with
 * fewer than two step rewards in total (for example a one-step singleton) cannot be compared and
 * gets 0. Empty policy spans count as steps (their reward enters the statistics) but carry no
 * tokens. The outcome is not used (the paper's process variant uses process rewards only).
 * Span advantages hold {@code A} per policy span and 0 on context spans.
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class GrpoProcess implements BufferedEstimator {
    /** Values of the {@code std} parameter (lower-case names on the wire). */
    enum Std {
        UNBIASED,
        POPULATION
    }

    /** Values of the {@code source} parameter (lower-case names on the wire). */
    enum Source {
        SPAN_SIGNAL,
        SPAN_REWARD
    }

    /** Registry id. */
    public static final String ID = "grpo_process";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .aliases("grpo_process_supervision")
            .title("GRPO with process supervision (group-normalized step rewards, summed over later steps)")
            .source("DeepSeekMath, Shao et al., arXiv 2402.03300, §4.1.3")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.PAPER)
            .groupLocal(true)
            .requires(SignalRequirement.span(
                    "prm",
                    "a process reward model scoring each step "
                            + "(or the span signal named by process_signal, or span rewards with source=span_reward)"))
            .parameters(
                    ParamSpec.choice("source", Source.SPAN_SIGNAL, "where each step's process reward comes from"),
                    ParamSpec.string(
                            "process_signal", "prm", "span signal holding the process reward (source=span_signal)"),
                    ParamSpec.choice(
                            "std",
                            Std.UNBIASED,
                            "standard deviation of the group's step rewards: divisor N−1 (torch) or N"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the standard deviation"))
            .preset(
                    "paper",
                    Map.of("source", "span_signal", "process_signal", "prm", "std", "unbiased", "epsilon", 1e-6))
            .summary("r̃ = (r − mean(R_group)) / (std(R_group) + ε) over all step rewards of the group; "
                    + "A_t = Σ of r̃ over the token's step and later steps")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean fromSignal = params.getChoice("source", Source.class) == Source.SPAN_SIGNAL;
        String name = params.getString("process_signal");
        boolean unbiased = params.getChoice("std", Std.class) == Std.UNBIASED;
        double eps = params.getDouble("epsilon");
        PaperSteps steps = PaperSteps.of(batch);
        double[] r = fromSignal
                ? steps.signal(batch, name, ID, "a process reward model's score of the step", false)
                : spanRewards(batch, steps);

        int groups = batch.groupCount();
        int[] count = new int[groups];
        double[] sum = new double[groups];
        for (int k = 0; k < r.length; k++) {
            int g = batch.trajectoryGroup(steps.trajectory(k));
            count[g]++;
            sum[g] += r[k];
        }
        double[] mean = new double[groups];
        for (int g = 0; g < groups; g++) mean[g] = count[g] == 0 ? 0 : sum[g] / count[g];
        double[] ss = new double[groups];
        for (int k = 0; k < r.length; k++) {
            int g = batch.trajectoryGroup(steps.trajectory(k));
            double d = r[k] - mean[g];
            ss[g] += d * d;
        }
        double[] norm = new double[r.length];
        for (int k = 0; k < r.length; k++) {
            int g = batch.trajectoryGroup(steps.trajectory(k));
            if (count[g] < 2) continue;
            double sd = Math.sqrt(ss[g] / (unbiased ? count[g] - 1 : count[g]));
            norm[k] = (r[k] - mean[g]) / (sd + eps);
        }
        double[] adv = new double[r.length];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            double acc = 0;
            for (int k = steps.end(i) - 1; k >= steps.start(i); k--) {
                acc += norm[k];
                adv[k] = acc;
            }
        }
        float[] out = StepCredit.advantages(batch, buffers);
        StepTokens.write(batch, steps, adv, out, execution);
        return Credit.builder(out)
                .spanAdvantages(steps.spanValues(batch, adv))
                .diagnostic("steps", r.length)
                .build();
    }

    /** Span rewards per step; every step must have one. */
    static double[] spanRewards(Rollouts batch, PaperSteps steps) {
        float[] sr = batch.spanReward();
        double[] out = new double[steps.total()];
        for (int k = 0; k < out.length; k++) {
            float v = sr == null ? Float.NaN : sr[steps.span(k)];
            if (Float.isNaN(v)) {
                int i = steps.trajectory(k);
                int local = steps.span(k) - batch.spanStart(i);
                throw new RolloutException(
                        batch.describe(i) + ": step " + (k - steps.start(i)) + " (spans[" + local
                                + "]) has no reward, which estimator '" + ID + "' needs with source=span_reward",
                        i,
                        "spans[" + local + "].reward");
            }
            out[k] = v;
        }
        return out;
    }
}
