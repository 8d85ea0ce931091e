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

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generalized advantage estimation over tokens, with a critic's per-token values
 * ({@code gae}).
 *
 * <h2>Formula</h2>
 * Per trajectory, from its last token backwards, with token rewards {@code r_t} and critic
 * values {@code V_t}:
 * <pre>
 *   δ_t = r_t + γ·V_next − V_t          A_t = δ_t + γλ·A_next          R_t = A_t + V_t
 * </pre>
 * then, when {@code whiten} is on, {@code A ← (A − μ)·k} with μ and the variance taken over every
 * policy token of the batch (token-weighted). Returns {@code R} are not whitened.
 * Token rewards are the token {@code reward} signal plus each span's reward on its last token
 * plus the outcome on the last policy token ({@link Rollouts#denseTokenRewards()}), optionally
 * shaped as in OpenRLHF (outcome clipped to {@code reward_clip_range}; {@code −kl_coef·KL_t} on
 * each policy token, KL clamped to ±{@code kl_clamp}, when {@code kl_coef > 0} and not
 * {@code kl_use_loss}).
 *
 * <p>{@code context_tokens} says what context tokens (prompt, multi-turn observations,
 * padding) do to the recursion:
 * <ul>
 *   <li>{@code skip} (verl, default): they are not steps; {@code V_next} and {@code A_next} are
 *       carried across them unchanged, so an observation block between two turns is
 *       transparent.</li>
 *   <li>{@code through} (OpenRLHF): the recursion runs over every token with values and rewards
 *       multiplied by the mask, so the policy token before an observation block bootstraps from
 *       {@code V = 0}, and each context token applies one more factor {@code γλ}.</li>
 * </ul>
 *
 * <h2>Sources</h2>
 * Schulman et al., "High-Dimensional Continuous Control Using Generalized Advantage
 * Estimation", arXiv 1506.02438. verl {@code compute_gae_advantage_return}
 * (volcengine/verl@b178a3c, {@code verl/trainer/ppo/core_algos.py}; whitening
 * {@code masked_whiten}: unbiased variance, {@code rsqrt(var + 1e-8)}); OpenRLHF
 * {@code get_advantages_and_returns} and the global advantage normalisation of
 * {@code compute_advantages_and_returns} (OpenRLHF/OpenRLHF@3c3be62, v0.11.0: biased variance,
 * {@code rsqrt(max(var, 1e-8))}). Fidelity: reference (matches both on their golden vectors).
 *
 * <h2>Defaults and presets</h2>
 * Defaults = preset {@code verl}: γ = 1, λ = 1, {@code context_tokens=skip}, whitening on with
 * unbiased variance and {@code +1e-8}, no KL, no clip. Preset {@code openrlhf}:
 * {@code context_tokens=through}, biased variance with a {@code 1e-8} clamp, {@code kl_coef
 * 0.01} ({@code k1}, clamp 10), {@code reward_clip_range [-10, 10]}.
 *
 * <h2>Edge cases</h2>
 * <ul>
 *   <li>Advantages and returns are 0 on context tokens (the references leave carried or
 *       whitened values there).</li>
 *   <li>A trajectory without policy tokens gets zeros and takes no part in the whitening.</li>
 *   <li>An absent outcome adds no reward (it is not clipped as if it were 0); rewards on
 *       context tokens are ignored in both modes.</li>
 *   <li>Unbiased whitening of a batch with fewer than 2 policy tokens is an
 *       {@link IllegalArgumentException} (verl raises too); with the biased variance a single
 *       token whitens to 0.</li>
 *   <li>A missing {@code value} signal is a {@link dev.apportion.core.rollout.RolloutException}
 *       naming the estimator, the signal and the critic that produces it.</li>
 * </ul>
 *
 * <p>Thread-safety: stateless; {@link #assign} may run concurrently. With an
 * {@link Execution} of several threads the recursion runs per trajectory in parallel, and the
 * whitening statistics are combined in batch order, so the result does not depend on the
 * number of threads.
 */
public final class Gae implements Estimator {
    /** Id in the registry (verl's name). */
    public static final String ID = "gae";

    static final ParamSpec GAMMA = ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount γ per token");
    static final ParamSpec LAMBDA = ParamSpec.real("lambda", 1.0, 0.0, 1.0, "GAE λ (verl lam, OpenRLHF lambd)");
    static final ParamSpec CONTEXT_TOKENS = ParamSpec.choice("context_tokens", "skip", List.of("skip", "through"),
            "skip: the recursion carries V and A across context tokens (verl); through: it runs over them with "
                    + "value and reward 0 (OpenRLHF)");

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("Generalized advantage estimation (token level, critic)")
            .source("arXiv 1506.02438; volcengine/verl@b178a3c compute_gae_advantage_return; "
                    + "OpenRLHF/OpenRLHF@3c3be62 (v0.11.0) get_advantages_and_returns")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.token(Rollouts.VALUE, "the critic"),
                    SignalRequirement.token(Rollouts.REWARD, "any reward: outcome, span or token reward"))
            .parameters(GAMMA, LAMBDA, CONTEXT_TOKENS, BatchWhitening.WHITEN, BatchWhitening.WHITEN_VARIANCE,
                    BatchWhitening.WHITEN_EPSILON, BatchWhitening.WHITEN_EPS, BatchWhitening.NO_STD_NORM,
                    RewardShaping.KL_COEF, RewardShaping.KL_ESTIMATOR, RewardShaping.KL_USE_LOSS, RewardShaping.KL_CLAMP,
                    RewardShaping.REWARD_CLIP_RANGE)
            .preset("verl", verl())
            .preset("openrlhf", openRlhf())
            .summary("δ_t = r_t + γV_next − V_t, A_t = δ_t + γλA_next (backwards per trajectory), returns A + V, "
                    + "A whitened over the batch's policy tokens")
            .build();

    static Map<String, Object> verl() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("context_tokens", "skip");
        m.put("whiten", true);
        m.put("whiten_variance", "unbiased");
        m.put("whiten_epsilon", "add");
        m.put("kl_coef", 0.0);
        return m;
    }

    static Map<String, Object> openRlhf() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("context_tokens", "through");
        m.put("whiten", true);
        m.put("whiten_variance", "biased");
        m.put("whiten_epsilon", "clamp");
        m.put("kl_coef", 0.01);
        m.put("kl_estimator", "k1");
        m.put("kl_use_loss", false);
        m.put("reward_clip_range", List.of(-10.0, 10.0));
        return m;
    }

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        float[] values = batch.requireTokenSignal(Rollouts.VALUE, ID, "the critic");
        double gamma = params.getDouble(GAMMA.name());
        double gl = gamma * params.getDouble(LAMBDA.name());
        boolean through = "through".equals(params.getString(CONTEXT_TOKENS.name()));
        RewardShaping rewards = RewardShaping.of(batch, params, ID);
        BatchWhitening.Settings ws = BatchWhitening.Settings.of(params);

        int n = batch.tokenCount();
        float[] adv = new float[n];
        float[] ret = new float[n];
        BatchWhitening stats = new BatchWhitening(batch);
        execution.forRange(batch.trajectoryCount(), 16, (chunk, from, to) -> {
            for (int i = from; i < to; i++) trajectory(batch, i, rewards, values, adv, ret, gamma, gl, through, stats);
        });
        Credit.Builder out = Credit.builder(adv).returns(ret);
        stats.apply(batch, adv, ws, execution, ID, out);
        return out.build();
    }

    /**
     * The recursion over trajectory {@code i}, backwards span by span: writes its advantages
     * (before whitening) and returns, 0 on context tokens, and records its whitening partial sums.
     *
     * <p>A policy span takes three passes over its tokens, kept in cache: (1) the TD errors
     * {@code δ_t = r_t + γ·V_{t+1} − V_t} in float, as the references compute them, written into
     * {@code adv} (a loop the JIT vectorizes; the last token uses the carried {@code V_next});
     * (2) the recursion {@code A_t = δ_t + γλ·A_{t+1}} in double, four tokens per step with the
     * recurrence unrolled, {@code A_{t-k} = e_k + (γλ)^{k+1}·A_next} where {@code e_k} depends
     * on the δ only, so the chain of dependent operations is one multiply-add per four tokens;
     * (3) {@code R_t = A_t + V_t} in float, as the references do (vectorized).
     *
     * @param values read
     * @param adv written on the trajectory's tokens
     * @param ret written on the trajectory's tokens
     */
    private static void trajectory(Rollouts batch, int i, RewardShaping rewards, float[] values, float[] adv, float[] ret,
                                   double gamma, double gl, boolean through, BatchWhitening stats) {
        int[] tok = batch.spanTokenOffsets();
        float[] r = rewards.tokenRewards();
        int last = batch.lastPolicyToken(i);
        float gf = (float) gamma;
        double gl2 = gl * gl;
        double gl3 = gl2 * gl;
        double gl4 = gl2 * gl2;
        double nextV = 0;
        double a = 0;
        int count = 0;
        double c = 0;
        double p0 = 0, p1 = 0, p2 = 0, p3 = 0; // Σ (A − c) per lane
        double q0 = 0, q1 = 0, q2 = 0, q3 = 0; // Σ (A − c)² per lane
        for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) {
            int ts = tok[s];
            int te = tok[s + 1];
            if (!batch.isPolicySpan(s)) {
                for (int t = ts; t < te; t++) {
                    adv[t] = 0f;
                    ret[t] = 0f;
                }
                if (through) {
                    for (int t = te - 1; t >= ts; t--) {
                        a = gamma * nextV + gl * a;
                        nextV = 0;
                    }
                }
                continue;
            }
            if (te == ts) continue;
            // (1) TD errors
            if (r != null) {
                for (int t = ts; t < te - 1; t++) adv[t] = r[t] + gf * values[t + 1] - values[t];
                adv[te - 1] = (float) (r[te - 1] + gamma * nextV - values[te - 1]);
            } else {
                for (int t = ts; t < te - 1; t++) adv[t] = gf * values[t + 1] - values[t];
                adv[te - 1] = (float) (gamma * nextV - values[te - 1]);
            }
            rewards.addExtras(i, s, last, adv, 0);
            // (2) recursion
            if (count == 0) c = adv[te - 1] + gl * a;
            count += te - ts;
            int t = te - 1;
            for (; t - 3 >= ts; t -= 4) {
                double d3 = adv[t];
                double e2 = adv[t - 1] + gl * d3;
                double e1 = adv[t - 2] + gl * e2;
                double e0 = adv[t - 3] + gl * e1;
                double a3 = d3 + gl * a;
                double a2 = e2 + gl2 * a;
                double a1 = e1 + gl3 * a;
                a = e0 + gl4 * a;
                adv[t] = (float) a3;
                adv[t - 1] = (float) a2;
                adv[t - 2] = (float) a1;
                adv[t - 3] = (float) a;
                double x3 = a3 - c;
                double x2 = a2 - c;
                double x1 = a1 - c;
                double x0 = a - c;
                p3 += x3;
                p2 += x2;
                p1 += x1;
                p0 += x0;
                q3 += x3 * x3;
                q2 += x2 * x2;
                q1 += x1 * x1;
                q0 += x0 * x0;
            }
            for (; t >= ts; t--) {
                a = adv[t] + gl * a;
                adv[t] = (float) a;
                double x = a - c;
                p0 += x;
                q0 += x * x;
            }
            nextV = values[ts];
            // (3) returns
            for (int k = ts; k < te; k++) ret[k] = adv[k] + values[k];
        }
        stats.record(i, count, c, (p0 + p1) + (p2 + p3), (q0 + q1) + (q2 + q3));
    }
}
