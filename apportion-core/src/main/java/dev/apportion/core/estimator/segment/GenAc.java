package dev.apportion.core.estimator.segment;

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
import dev.apportion.core.kernel.RepeatedSum;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Whitening;
import java.util.Map;

/**
 * GenAC, generative actor-critic ({@code genac}): segment-level GAE whose values come from a
 * generative critic, an LLM that reasons in a chain of thought before stating the value of a
 * partial solution.
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} with segments {@code k = 0 … K−1} (its policy spans, see
 * {@link PaperSteps}), critic values {@code V_k} of the state before segment {@code k} (span
 * signal {@code value_signal}), {@code V_K = 0}, and rewards {@code r_k} = 0 except the outcome on
 * the last segment (optionally plus each segment's span reward):
 * <pre>
 *   δ_k = r_k + γ·V_{k+1} − V_k        A_k = δ_k + γλ·A_{k+1}        returns_k = A_k + V_k
 * </pre>
 * Every token of segment {@code k} gets {@code A_k}; then ({@code whiten}) whitening over the
 * batch's policy tokens ({@code (A − μ)·rsqrt(var + 1e-8)}, unbiased variance), as PPO does.
 * Returns (the critic's regression targets) are not whitened. With λ = 0 this is
 * {@code vineppo}'s formula with critic values in place of Monte-Carlo ones.
 *
 * <h2>Source and fidelity</h2>
 * Z. Shan, H. Zhong, L. Wang, L. Zhao, "Bringing Value Models Back: Generative Critics for Value
 * Modeling in LLM Reinforcement Learning", arXiv 2604.10701 (no public code). The paper trains the
 * actor with PPO on the generative critic's values; the critic's chain of thought and
 * in-context conditioning are upstream of this estimator (they produce the span signal).
 * Fidelity {@code reconstructed}: the positions at which the critic is queried (here: the start
 * of every segment) and γ = 1, λ = 0.95 (common PPO settings for LLMs) are ours.
 *
 * <h2>Edge cases</h2>
 * Every segment needs a critic value ({@link dev.apportion.core.rollout.RolloutException}
 * naming the trajectory and span otherwise), and every trajectory with segments an outcome. A
 * trajectory without policy spans gets nothing. With fewer than two policy tokens in the batch
 * whitening is skipped. Span advantages hold the unwhitened {@code A_k}.
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class GenAc implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "genac";

    /** The rewards of the segments ({@code step_rewards}). */
    enum StepRewards {
        /** the outcome on the last segment only */
        OUTCOME,
        /** plus each segment's span reward */
        OUTCOME_AND_SPAN_REWARDS
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .aliases("generative_actor_critic")
            .title("GenAC: segment-level GAE on a generative (chain-of-thought) critic's values")
            .source("Shan, Zhong, Wang, Zhao, arXiv 2604.10701 (no public code)")
            .granularity(Granularity.SEGMENT)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(false)
            .requires(
                    SignalRequirement.trajectory("outcome", "the verifier or reward model"),
                    SignalRequirement.span(
                            "critic_value",
                            "the generative critic's value of the state before the "
                                    + "segment (or the span signal named by value_signal)"))
            .parameters(
                    ParamSpec.string(
                            "value_signal",
                            "critic_value",
                            "span signal: critic value of the state before the segment"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount per segment"),
                    ParamSpec.real("lambda", 0.95, 0.0, 1.0, "GAE λ over segments"),
                    ParamSpec.bool("whiten", true, "whiten advantages over the batch's policy tokens"),
                    ParamSpec.choice(
                            "step_rewards",
                            StepRewards.OUTCOME,
                            "outcome on the last segment only, or plus each segment's span reward"))
            .preset("monte_carlo", Map.of("lambda", 1.0))
            .summary("δ_k = r_k + γV_{k+1} − V_k over segments (V from a generative critic), A_k = δ_k + γλA_{k+1}; "
                    + "batch-whitened")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String name = params.getString("value_signal");
        double gamma = params.getDouble("gamma");
        double lambda = params.getDouble("lambda");
        boolean whiten = params.getBoolean("whiten");
        boolean spanRewards =
                params.getChoice("step_rewards", StepRewards.class) == StepRewards.OUTCOME_AND_SPAN_REWARDS;
        PaperSteps steps = PaperSteps.of(batch);
        double[] values =
                steps.signal(batch, name, ID, "the generative critic's value of the state before the segment", false);
        double[] rewards = steps.outcomeRewards(batch, ID, spanRewards);
        int total = steps.total();
        double[] adv = new double[total];
        float[] stepRet = new float[total];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            PaperSteps.gae(rewards, values, steps.start(i), steps.end(i), gamma, lambda, adv);
            for (int k = steps.start(i); k < steps.end(i); k++) stepRet[k] = (float) (adv[k] + values[k]);
        }
        // every token of a segment gets the same value, so the token whitening is done once per segment
        // (RepeatedSum: the statistics of the token loop, bit for bit) and both outputs are laid over the
        // tokens in one pass
        float[] stepAdv = new float[total];
        Whitening.Stats st = null;
        if (whiten) {
            float[] x = new float[total];
            int[] count = new int[total];
            long policy = 0;
            for (int k = 0; k < total; k++) {
                x[k] = (float) adv[k];
                count[k] = batch.spanTokenEnd(steps.span(k)) - batch.spanTokenStart(steps.span(k));
                policy += count[k];
            }
            if (policy >= 2) {
                st = RepeatedSum.whitenConstantRuns(
                        x, count, stepAdv, Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, 1e-8, true, true);
            }
        }
        if (st == null) for (int k = 0; k < total; k++) stepAdv[k] = (float) adv[k];
        int tokens = batch.tokenCount();
        float[] out = buffers == null ? new float[tokens] : buffers.advantages(tokens);
        float[] ret = buffers == null ? new float[tokens] : buffers.returns(tokens);
        int[] spanTok = batch.spanTokenOffsets();
        execution.forTrajectories(batch, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int k = steps.start(i);
                int end = steps.end(i);
                for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                    float a = 0f;
                    float r = 0f;
                    if (k < end && steps.span(k) == s) {
                        a = stepAdv[k];
                        r = stepRet[k++];
                    }
                    for (int t = spanTok[s], e = spanTok[s + 1]; t < e; t++) {
                        out[t] = a;
                        ret[t] = r;
                    }
                }
            }
        });
        Credit.Builder credit = Credit.builder(out).returns(ret).spanAdvantages(steps.spanValues(batch, adv));
        if (st != null) credit.diagnostic("whiten_mean", st.mean()).diagnostic("whiten_scale", st.scale());
        return credit.diagnostic("segments", total).build();
    }
}
