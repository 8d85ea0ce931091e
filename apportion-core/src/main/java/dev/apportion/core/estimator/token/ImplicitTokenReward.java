package dev.apportion.core.estimator.token;

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
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The implicit token-level reward of a KL-regularised policy, from "From r to Q*"
 * ({@code implicit_token_reward}): each token is credited with
 * {@code β·log π(a_t|s_t)/π_ref(a_t|s_t)}.
 *
 * <h2>Formula</h2>
 * In the token MDP with deterministic transitions, the optimum of the KL-regularised objective
 * (coefficient β) satisfies {@code β·log π*(a_t|s_t)/π_ref(a_t|s_t) = Q*(s_t,a_t) − V*(s_t)}: the
 * log-ratio of the optimal policy to the reference is an advantage. Read off a policy π, the
 * implicit reward is
 * <pre>
 *   r̂_t = β·(log π(a_t|s_t) − log π_ref(a_t|s_t))                     (credit = token_reward)
 *   G_t = Σ_{t' ≥ t} r̂_{t'}   over the trajectory's policy tokens        (credit = reward_to_go)
 * </pre>
 * {@code r̂} equals the true reward up to potential-based shaping with potential V*
 * ({@code r = r̂ + V*(s_t) − V*(s_{t+1})}), so {@code Σ_t r̂_t} is DPO's sequence reward minus
 * {@code V*(s_0)}, and {@code G_t} is the return from {@code t} minus {@code V*(s_t)}.
 * {@link Credit#returns()} always holds {@code G_t}; {@link Credit#advantages()} holds the
 * selected {@code credit}.
 *
 * <p>Which log-probabilities play π and π_ref is a parameter. With {@code teacher_logprob} as π
 * and the sampling policy {@code old_logprob} as π_ref (preset {@code teacher_posterior}, β = 1),
 * and a teacher that is the sampling policy's posterior given success, Bayes' rule gives
 * {@code log π(a|s, success) − log π(a|s) = log P(success|s,a) − log P(success|s)}: the credit is
 * the log-ratio of success probabilities after and before the token (our application of the
 * paper's identity, not an experiment of the paper).
 *
 * <h2>Source</h2>
 * R. Rafailov, J. Hejna, R. Park, C. Finn, "From r to Q*: Your Language Model is Secretly a
 * Q-Function", arXiv 2404.12358 (COLM 2024). Fidelity {@code paper}: the formula is the
 * paper's; there is no reference code beyond any DPO implementation.
 *
 * <h2>Parameters and presets</h2>
 * {@code beta} = 0.1, {@code policy_signal} = logprob, {@code reference_signal} = ref_logprob,
 * {@code credit} = token_reward. Presets: {@code paper} (the defaults) and
 * {@code teacher_posterior} (teacher_logprob against old_logprob, β = 1). The two signals must
 * differ ({@link IllegalArgumentException} otherwise).
 *
 * <h2>Edge cases</h2>
 * Context tokens get 0 and do not enter the reward-to-go (observations are the environment's,
 * not actions). A trajectory without policy tokens gets nothing. Identical policies give 0
 * everywhere. A missing token signal is a {@link dev.apportion.core.rollout.RolloutException}
 * naming the signal. No group or batch statistics are used, so the credit of a trajectory
 * depends only on itself.
 *
 * <p>Cost: one backward pass per trajectory over its policy spans reading the two log-probability
 * streams and writing advantages and returns (into {@link Credit.Buffers} when given); the running
 * sum of {@code r̂} is one dependent double addition per token.
 *
 * <p>Stateless and thread-safe; trajectories are processed in parallel ranges with disjoint
 * outputs, so the result does not depend on the number of threads.
 */
public final class ImplicitTokenReward implements Estimator {
    /** Registry id. */
    public static final String ID = "implicit_token_reward";

    private static final List<String> LOGPROBS =
            List.of(Rollouts.LOGPROB, Rollouts.OLD_LOGPROB, Rollouts.REF_LOGPROB, Rollouts.TEACHER_LOGPROB);

    /** What each token gets ({@code credit}). */
    enum CreditForm {
        /** r̂_t */
        TOKEN_REWARD,
        /** Σ of r̂ from t to the end */
        REWARD_TO_GO
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .aliases("r_to_q_star", "dpo_token_reward")
            .title("Implicit token reward β·log π/π_ref (From r to Q*)")
            .source("Rafailov, Hejna, Park, Finn, \"From r to Q*: Your Language Model is Secretly a Q-Function\", "
                    + "arXiv 2404.12358")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.PAPER)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.LOGPROB, "the policy (or the signal named by policy_signal)"),
                    SignalRequirement.token(
                            Rollouts.REF_LOGPROB, "the reference model (or the signal named by reference_signal)"))
            .parameters(
                    ParamSpec.real("beta", 0.1, 0.0, null, "KL coefficient β of the regularised objective"),
                    ParamSpec.choice("policy_signal", Rollouts.LOGPROB, LOGPROBS, "token log-probabilities of π"),
                    ParamSpec.choice(
                            "reference_signal", Rollouts.REF_LOGPROB, LOGPROBS, "token log-probabilities of π_ref"),
                    ParamSpec.choice(
                            "credit",
                            CreditForm.TOKEN_REWARD,
                            "token_reward: r̂_t (= Q* − V*); reward_to_go: Σ of r̂ from t to the end"))
            .preset(
                    "paper",
                    Map.of(
                            "beta",
                            0.1,
                            "policy_signal",
                            Rollouts.LOGPROB,
                            "reference_signal",
                            Rollouts.REF_LOGPROB,
                            "credit",
                            "token_reward"))
            .preset(
                    "teacher_posterior",
                    Map.of(
                            "beta",
                            1.0,
                            "policy_signal",
                            Rollouts.TEACHER_LOGPROB,
                            "reference_signal",
                            Rollouts.OLD_LOGPROB,
                            "credit",
                            "token_reward"))
            .summary("r̂_t = β·(log π − log π_ref)(a_t|s_t) = Q*(s_t,a_t) − V*(s_t); optional reward-to-go Σ_{t'≥t} r̂")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /**
     * {@inheritDoc} Advantages and returns go into {@code buffers} when given; every token of both is
     * written (0 on context tokens). One backward pass per trajectory over its policy spans.
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double beta = params.getDouble("beta");
        String pol = params.getString("policy_signal");
        String ref = params.getString("reference_signal");
        boolean toGo = params.getChoice("credit", CreditForm.class) == CreditForm.REWARD_TO_GO;
        if (pol.equals(ref)) {
            throw new IllegalArgumentException("estimator '" + ID + "': policy_signal and reference_signal are both '"
                    + pol + "'; the implicit reward would be 0 everywhere");
        }
        float[] lp = batch.requireTokenSignal(pol, ID, "log-probabilities of the policy π");
        float[] lr = batch.requireTokenSignal(ref, ID, "log-probabilities of the reference π_ref");
        int n = batch.trajectoryCount();
        int tokens = batch.tokenCount();
        // advantages: r̂ (token_reward) or G (reward_to_go); returns: always G, in its own array
        float[] adv = buffers == null ? new float[tokens] : buffers.advantages(tokens);
        float[] ret = buffers == null ? new float[tokens] : buffers.returns(tokens);
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tok = batch.spanTokenOffsets();
        double[] sequence = new double[n];
        execution.forTrajectories(batch, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                double acc = 0;
                for (int s = spanOff[i + 1] - 1; s >= spanOff[i]; s--) {
                    int ts = tok[s];
                    int te = tok[s + 1];
                    if (!batch.isPolicySpan(s)) {
                        Arrays.fill(adv, ts, te, 0f);
                        Arrays.fill(ret, ts, te, 0f);
                    } else if (toGo) {
                        for (int t = te - 1; t >= ts; t--) {
                            acc += beta * ((double) lp[t] - (double) lr[t]);
                            float g = (float) acc;
                            adv[t] = g;
                            ret[t] = g;
                        }
                    } else {
                        for (int t = te - 1; t >= ts; t--) {
                            double r = beta * ((double) lp[t] - (double) lr[t]);
                            adv[t] = (float) r;
                            acc += r;
                            ret[t] = (float) acc;
                        }
                    }
                }
                sequence[i] = acc;
            }
        });
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < n; i++) {
            if (batch.policyTokenCount(i) > 0) {
                sum += sequence[i];
                counted++;
            }
        }
        return Credit.builder(adv)
                .returns(ret)
                .diagnostic("mean_sequence_implicit_reward", counted == 0 ? 0.0 : sum / counted)
                .build();
    }
}
