package dev.apportion.core.estimator.token;

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
import dev.apportion.core.kernel.BackwardScan;
import dev.apportion.core.kernel.PolicySpans;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * REINFORCE++: the discounted token return, whitened over the batch
 * ({@code reinforce_plus_plus}).
 *
 * <h2>Formula</h2>
 * Per trajectory, backwards: {@code G_t = r_t + γ·G_next}; returns {@code G} (raw); advantages
 * {@code (G − μ)·k} with μ and the variance over every policy token of the batch (token
 * weighted). Token rewards as in {@link Gae}: token {@code reward} + span rewards on their last
 * token + outcome on the last policy token, optionally with the OpenRLHF outcome clip and
 * per-token KL penalty ({@code kl_coef}, {@code kl_estimator}, {@code kl_use_loss},
 * {@code kl_clamp}, {@code reward_clip_range}). Parameter {@code lambda} is accepted and ignored, so
 * that OpenRLHF's configuration (whose {@code lambd} goes to every estimator) passes unchanged.
 *
 * <p>{@code context_tokens} says what a context token does to the running return:
 * <ul>
 *   <li>{@code reset} (verl, default): the running return restarts at 0 at every context token,
 *       so rewards after an observation block do not reach earlier turns (a verl quirk for
 *       multi-turn masks: the outcome on the last turn never reaches the first one);</li>
 *   <li>{@code through} (OpenRLHF): context tokens have reward 0 and still discount, one factor
 *       γ per token;</li>
 *   <li>{@code skip}: context tokens are not steps; the running return crosses them unchanged
 *       (as verl's GAE treats them). Offered as the corrected multi-turn behaviour.</li>
 * </ul>
 *
 * <h2>Sources</h2>
 * Hu, "REINFORCE++", arXiv 2501.03262. verl {@code compute_reinforce_plus_plus_outcome_advantage}
 * (volcengine/verl@b178a3c; {@code masked_whiten}, unbiased variance, {@code +1e-8}); OpenRLHF
 * {@code get_cumulative_returns} with the global normalisation of
 * {@code compute_advantages_and_returns}, estimator {@code reinforce}
 * (OpenRLHF/OpenRLHF@3c3be62, v0.11.0; biased variance, clamp 1e-8). The paper's authors wrote
 * the OpenRLHF version, so preset {@code openrlhf} is also the paper's method. Fidelity:
 * reference (golden vectors of both).
 *
 * <h2>Defaults and presets</h2>
 * Defaults = preset {@code verl}: γ = 1, {@code context_tokens=reset}, unbiased whitening
 * {@code +1e-8}, no KL, no clip. Preset {@code openrlhf}: {@code context_tokens=through}, biased
 * variance with clamp 1e-8, {@code kl_coef 0.01} ({@code k1}, clamp 10), clip {@code [-10, 10]}.
 *
 * <h2>Edge cases</h2>
 * Advantages and returns are 0 on context tokens; a trajectory without policy tokens gets zeros;
 * unbiased whitening needs at least 2 policy tokens in the batch
 * ({@link IllegalArgumentException} otherwise); a zero-length context span does not reset.
 *
 * <p>Numerics and speed as in {@link Gae}: a trajectory whose policy spans are all shorter than
 * 256 tokens runs the references' float32 return in their operation order ({@link ReturnLanes}:
 * {@code G = ρ + γ·G} rounded to float per operation; reset, through and skip as above), four
 * trajectories interleaved, so its returns are verl's and OpenRLHF's floats; a trajectory with a
 * longer policy span runs the return recursion in double (blocked, {@link BackwardScan}), returns
 * and advantages in float. Optional {@link Credit.Buffers} for the outputs.
 *
 * <p>Thread-safety: stateless; parallel per trajectory; whitening statistics are combined in
 * batch order, so the result is bit-identical whatever the thread count.
 */
public final class ReinforcePlusPlus implements BufferedEstimator {
    /** Id in the registry (verl's name). */
    public static final String ID = "reinforce_plus_plus";

    static final ParamSpec GAMMA = ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount γ per token");
    static final ParamSpec LAMBDA = ParamSpec.real(
            "lambda",
            1.0,
            0.0,
            1.0,
            "ignored: accepted so that an OpenRLHF configuration (which carries lambd for every estimator) can be "
                    + "passed as it is; REINFORCE++ has no λ");
    /** How the running return treats context tokens ({@code context_tokens}). */
    enum ContextTokens {
        /** restarts at each context token (verl) */
        RESET,
        /** context tokens give reward 0 and are discounted through */
        THROUGH,
        /** context tokens are skipped */
        SKIP
    }

    static final ParamSpec CONTEXT_TOKENS = ParamSpec.choice(
            "context_tokens",
            ContextTokens.RESET,
            "reset: the running return restarts at each context token (verl); through: context tokens give reward 0 "
                    + "and discount (OpenRLHF); skip: the return crosses them unchanged");

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("REINFORCE++ (discounted token return, batch whitening)")
            .source("arXiv 2501.03262; volcengine/verl@b178a3c compute_reinforce_plus_plus_outcome_advantage; "
                    + "OpenRLHF/OpenRLHF@3c3be62 (v0.11.0) get_cumulative_returns, estimator reinforce")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.token(Rollouts.REWARD, "any reward: outcome, span or token reward"))
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
            .summary(
                    "G_t = r_t + γG_next per trajectory; returns G; advantages G whitened over the batch's policy tokens")
            .build();

    private static Map<String, Object> verl() {
        Map<String, Object> m = new LinkedHashMap<>(Gae.verl());
        m.put("context_tokens", "reset");
        return m;
    }

    private static Map<String, Object> openRlhf() {
        return Gae.openRlhf();
    }

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Advantages and returns go into {@code buffers} when given. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double gamma = params.getDouble(GAMMA.name());
        ContextTokens mode = params.getChoice(CONTEXT_TOKENS.name(), ContextTokens.class);
        boolean reset = mode == ContextTokens.RESET;
        boolean through = mode == ContextTokens.THROUGH;
        RewardShaping rewards = RewardShaping.of(batch, params, ID);
        BatchWhitening.Settings ws = BatchWhitening.Settings.of(params);

        int n = batch.tokenCount();
        boolean zeroed = buffers == null;
        float[] adv = zeroed ? new float[n] : buffers.advantages(n);
        float[] ret = zeroed ? new float[n] : buffers.returns(n);
        BatchWhitening stats = new BatchWhitening(batch);
        int maxSpan = PolicySpans.maxTokens(batch);
        BackwardScan.Powers powers =
                maxSpan >= BackwardScan.BLOCKED_MIN ? BackwardScan.Powers.forSpans(gamma, maxSpan) : null;
        float[] r = rewards.tokenRewards();
        execution.forTrajectories(batch, (chunk, from, to) -> {
            BackwardScan[] scan = {null};
            float[] touch = r != null ? r : ret;
            ReturnLanes lanes = new ReturnLanes(batch, adv, ret, gamma, mode);
            lanes.run(
                    from,
                    to,
                    i -> {
                        if (!Gae.hasLongSpan(batch, i)) {
                            rewards.fillAt(i, ret);
                            return true;
                        }
                        // a policy span of BLOCKED_MIN tokens or more: the blocked recursion in double
                        if (scan[0] == null) scan[0] = new BackwardScan(powers, maxSpan);
                        scan[0].prefetchTrajectory(batch, i + 2, to, touch, ret, touch, ret);
                        trajectory(batch, i, rewards, r, adv, ret, zeroed, gamma, reset, through, scan[0], stats);
                        return false;
                    },
                    stats);
        });
        Credit.Builder out = Credit.builder(adv).returns(ret);
        stats.apply(batch, ret, adv, ws, execution, ID, out);
        return out.build();
    }

    /**
     * The return recursion over trajectory {@code i} in double ({@link BackwardScan}; blocked for
     * policy spans of {@link BackwardScan#BLOCKED_MIN} tokens or more), backwards span by span:
     * writes its returns, 0 on context tokens (and the advantages there unless {@code zeroed}),
     * and records its whitening partial sums.
     */
    private static void trajectory(
            Rollouts batch,
            int i,
            RewardShaping rewards,
            float[] r,
            float[] adv,
            float[] ret,
            boolean zeroed,
            double gamma,
            boolean reset,
            boolean through,
            BackwardScan scan,
            BatchWhitening stats) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tok = batch.spanTokenOffsets();
        int last = batch.lastPolicyToken(i);
        double g = 0;
        scan.beginTrajectory();
        for (int s = spanOff[i + 1] - 1; s >= spanOff[i]; s--) {
            int ts = tok[s];
            int te = tok[s + 1];
            int len = te - ts;
            if (batch.isPolicySpan(s)) {
                if (len == 0) continue;
                // the returns only: the advantages are written from them by the whitening
                if (len < BackwardScan.BLOCKED_MIN) {
                    if (r != null) System.arraycopy(r, ts, ret, ts, len);
                    else Arrays.fill(ret, ts, te, 0f);
                    rewards.addExtras(i, s, last, ret, 0);
                    g = scan.runInPlace(ret, ts, len, g, null, null);
                } else {
                    if (r != null) System.arraycopy(r, ts, scan.d, 0, len);
                    else Arrays.fill(scan.d, 0, len, 0f);
                    rewards.addExtras(i, s, last, scan.d, ts);
                    g = scan.run(len, g, false);
                    System.arraycopy(scan.d, 0, ret, ts, len);
                }
            } else {
                if (!zeroed) {
                    Arrays.fill(adv, ts, te, 0f);
                    Arrays.fill(ret, ts, te, 0f);
                }
                if (len > 0) {
                    if (reset) g = 0;
                    else if (through) g *= Math.pow(gamma, len);
                }
            }
        }
        stats.record(i, scan.count(), scan.shift(), scan.sum1(), scan.sum2());
    }
}
