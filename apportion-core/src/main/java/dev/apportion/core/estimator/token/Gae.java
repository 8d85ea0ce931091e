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
import dev.apportion.core.kernel.BackwardScan;
import dev.apportion.core.kernel.PolicySpans;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
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
 * <h2>Numerics and speed</h2>
 * A trajectory whose policy spans are all shorter than {@link BackwardScan#BLOCKED_MIN} (256)
 * tokens — multi-turn episodes — runs the references' float32 recursion in their exact operation
 * order ({@link GaeLanes}: dense rewards first, {@code δ = (ρ + γ·V_next) − V},
 * {@code A = δ + γλ·A}, {@code R = A + V}, each operation rounded to float, no fused multiply-add),
 * so its advantages before whitening and its returns are the floats verl's
 * {@code compute_gae_advantage_return} and OpenRLHF's {@code get_advantages_and_returns} compute
 * (up to the sign of a zero); four such trajectories run interleaved, each chain unchanged. A
 * trajectory with a policy span of 256 tokens or more (single-turn long responses) runs the
 * recursion in double: TD errors and returns in float, the rest blocked ({@link BackwardScan}:
 * eight interleaved chains and a vectorized fix-up), which agrees with the token-by-token double
 * recursion to a few float units in the last place of the span's partial sums (below 1e-6 of the
 * span's largest advantage). Scalar float32 chains, even four at a time, were slower there than
 * the blocked scan (docs/performance.md, "GAE-like chains in float32 lanes"). The whitening
 * statistics are summed per trajectory in double over the float advantages, in a fixed order. With
 * {@link Credit.Buffers} ({@link #assign(Rollouts, Params, Execution, Credit.Buffers)}) the
 * advantages and returns go into the caller's reusable arrays instead of two new arrays of the
 * token count.
 *
 * <p>Thread-safety: stateless; {@link #assign} may run concurrently. With an
 * {@link Execution} of several threads the recursion runs per trajectory in parallel, and the
 * whitening statistics are combined in batch order, so the result is bit-identical whatever the
 * number of threads (and each trajectory's values before whitening do not depend on the rest of
 * the batch).
 */
public final class Gae implements Estimator {
    /** Id in the registry (verl's name). */
    public static final String ID = "gae";

    static final ParamSpec GAMMA = ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount γ per token");
    static final ParamSpec LAMBDA = ParamSpec.real("lambda", 1.0, 0.0, 1.0, "GAE λ (verl lam, OpenRLHF lambd)");
    /** How the recursion treats context tokens ({@code context_tokens}). */
    enum ContextTokens {
        /** V and A are carried across them (verl) */
        SKIP,
        /** the recursion runs over them */
        THROUGH
    }

    static final ParamSpec CONTEXT_TOKENS = ParamSpec.choice(
            "context_tokens",
            ContextTokens.SKIP,
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
            .requires(
                    SignalRequirement.token(Rollouts.VALUE, "the critic"),
                    SignalRequirement.token(Rollouts.REWARD, "any reward: outcome, span or token reward"))
            .parameters(
                    GAMMA,
                    LAMBDA,
                    CONTEXT_TOKENS,
                    BatchWhitening.WHITEN,
                    BatchWhitening.WHITEN_VARIANCE,
                    BatchWhitening.WHITEN_EPSILON,
                    BatchWhitening.WHITEN_EPS,
                    BatchWhitening.NO_STD_NORM,
                    RewardShaping.KL_COEF,
                    RewardShaping.KL_ESTIMATOR,
                    RewardShaping.KL_USE_LOSS,
                    RewardShaping.KL_CLAMP,
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
        return assign(batch, params, execution, null);
    }

    /** {@inheritDoc} Advantages and returns go into {@code buffers} when given. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        float[] values = batch.requireTokenSignal(Rollouts.VALUE, ID, "the critic");
        double gamma = params.getDouble(GAMMA.name());
        double gl = gamma * params.getDouble(LAMBDA.name());
        boolean through = params.getChoice(CONTEXT_TOKENS.name(), ContextTokens.class) == ContextTokens.THROUGH;
        RewardShaping rewards = RewardShaping.of(batch, params, ID);
        BatchWhitening.Settings ws = BatchWhitening.Settings.of(params);

        int n = batch.tokenCount();
        boolean zeroed = buffers == null;
        float[] adv = zeroed ? new float[n] : buffers.advantages(n);
        float[] ret = zeroed ? new float[n] : buffers.returns(n);
        BatchWhitening stats = new BatchWhitening(batch);
        float[] r = rewards.tokenRewards();
        int maxSpan = PolicySpans.maxTokens(batch);
        BackwardScan.Powers powers =
                maxSpan >= BackwardScan.BLOCKED_MIN ? BackwardScan.Powers.forSpans(gl, maxSpan) : null;
        execution.forTrajectories(batch, (chunk, from, to) -> {
            BackwardScan[] scan = {null};
            float[] touch = r != null ? r : values;
            GaeLanes lanes = new GaeLanes(batch, values, adv, ret, gamma, gl, through);
            lanes.run(
                    from,
                    to,
                    i -> {
                        if (!hasLongSpan(batch, i)) {
                            rewards.fillAt(i, ret);
                            return true;
                        }
                        // a policy span of BLOCKED_MIN tokens or more: the blocked recursion in double
                        if (scan[0] == null) scan[0] = new BackwardScan(powers, maxSpan);
                        scan[0].prefetchTrajectory(batch, i + 2, to, touch, values, adv, ret);
                        trajectory(batch, i, rewards, values, adv, ret, zeroed, gamma, gl, through, scan[0], stats);
                        return false;
                    },
                    stats);
        });
        Credit.Builder out = Credit.builder(adv).returns(ret);
        stats.apply(batch, adv, ws, execution, ID, out);
        return out.build();
    }

    /**
     * The recursion over trajectory {@code i}, backwards span by span: writes its advantages
     * (before whitening) and returns, 0 on context tokens, and records its whitening partial sums.
     * Each policy span goes through {@link BackwardScan}: the TD errors
     * {@code δ_t = r_t + γ·V_{t+1} − V_t} in float, as the references compute them (the last
     * token of the span uses the carried {@code V_next} in double), then
     * {@code A_t = δ_t + γλ·A_{t+1}} (blocked, see there) and {@code R_t = A_t + V_t} in float.
     *
     * @param values read
     * @param adv written on the trajectory's tokens
     * @param ret written on the trajectory's tokens
     * @param zeroed true when {@code adv} and {@code ret} are known to hold zeros (context tokens are not written)
     */
    private static void trajectory(
            Rollouts batch,
            int i,
            RewardShaping rewards,
            float[] values,
            float[] adv,
            float[] ret,
            boolean zeroed,
            double gamma,
            double gl,
            boolean through,
            BackwardScan scan,
            BatchWhitening stats) {
        int[] tok = batch.spanTokenOffsets();
        float[] r = rewards.tokenRewards();
        int last = batch.lastPolicyToken(i);
        int firstSpan = batch.spanStart(i);
        double nextV = 0;
        double a = 0;
        scan.beginTrajectory();
        for (int s = batch.spanEnd(i) - 1; s >= firstSpan; s--) {
            int ts = tok[s];
            int te = tok[s + 1];
            if (!batch.isPolicySpan(s)) {
                if (!zeroed) {
                    Arrays.fill(adv, ts, te, 0f);
                    Arrays.fill(ret, ts, te, 0f);
                }
                // in 'through' mode each context token is a step with V = 0 and r = 0; the value
                // carried past the first policy token is never read, so leading context is skipped
                if (through && ts > tok[firstSpan]) {
                    for (int t = te - 1; t >= ts; t--) {
                        a = gamma * nextV + gl * a;
                        nextV = 0;
                    }
                }
                continue;
            }
            int len = te - ts;
            if (len == 0) continue;
            if (len < BackwardScan.BLOCKED_MIN) {
                // short span: directly in the output arrays (scratch copies would cost more than they save)
                float gf = (float) gamma;
                if (r != null) {
                    for (int t = ts; t < te - 1; t++) adv[t] = r[t] + gf * values[t + 1] - values[t];
                    adv[te - 1] = (float) (r[te - 1] + gamma * nextV - values[te - 1]);
                } else {
                    for (int t = ts; t < te - 1; t++) adv[t] = gf * values[t + 1] - values[t];
                    adv[te - 1] = (float) (gamma * nextV - values[te - 1]);
                }
                rewards.addExtras(i, s, last, adv, 0);
                a = scan.runInPlace(adv, ts, len, a, values, ret);
            } else {
                scan.loadTd(r, values, ts, len, gamma, nextV);
                rewards.addExtras(i, s, last, scan.d, ts);
                a = scan.run(len, a, true);
                System.arraycopy(scan.d, 0, adv, ts, len);
                System.arraycopy(scan.v, 0, ret, ts, len);
            }
            nextV = values[ts];
        }
        stats.record(i, scan.count(), scan.shift(), scan.sum1(), scan.sum2());
    }

    /** True when trajectory {@code i} has a policy span of at least {@link BackwardScan#BLOCKED_MIN} tokens. */
    static boolean hasLongSpan(Rollouts batch, int i) {
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s) && batch.spanTokenEnd(s) - batch.spanTokenStart(s) >= BackwardScan.BLOCKED_MIN) {
                return true;
            }
        }
        return false;
    }
}
