package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Broadcast;
import dev.apportion.core.stats.KlPenalty;
import java.util.Arrays;
import java.util.List;

/**
 * How a per-trajectory scalar becomes per-token credit, in the two ways the frameworks do it.
 *
 * <ul>
 *   <li><b>Broadcast</b> (verl, TRL): the scalar on every policy token, 0 on context tokens.</li>
 *   <li><b>OpenRLHF shaping</b> ({@code RemoteExperienceMaker.compute_advantages_and_returns}
 *       and {@code models/utils.compute_reward} at v0.11.0): clip the shaped scalar to
 *       {@code reward_clip_range}; put it on the trajectory's last policy token; add
 *       {@code −kl_coef·clamp(KL_t, ±kl_clamp)} on every policy token (only when
 *       {@code kl_coef > 0} and not {@code kl_use_loss}); then the cumulative return
 *       {@code G_t = ρ_t + γ·G_{t+1}} over all the trajectory's tokens, never reset at context
 *       tokens (a hole just carries the return, with γ = 1). Advantages = returns.</li>
 * </ul>
 *
 * <p>OpenRLHF overwrites γ with 1 for its group estimators (rloo, reinforce_baseline,
 * group_norm, dr_grpo); every estimator of this package does the same, so the {@code gamma}
 * parameter is accepted for compatibility and recorded, but not used. With γ = 1, no clip and
 * no KL, both ways give the same credit. Context tokens get 0 in both (OpenRLHF leaves non-zero
 * values there; they are not tokens of the policy).
 */
final class TokenCredit {
    private TokenCredit() {}

    /** The advantages array of a call: {@code buffers.advantages(n)} when given, else a fresh array. */
    static float[] advantagesArray(dev.apportion.core.credit.Credit.Buffers buffers, int n) {
        return buffers == null ? new float[n] : buffers.advantages(n);
    }

    /** The returns array of a call: {@code buffers.returns(n)} when given, else a fresh array. */
    static float[] returnsArray(dev.apportion.core.credit.Credit.Buffers buffers, int n) {
        return buffers == null ? new float[n] : buffers.returns(n);
    }

    /** The loss-weights array of a call: {@code buffers.lossWeights(n)} when given, else a fresh array. */
    static float[] lossWeightsArray(dev.apportion.core.credit.Credit.Buffers buffers, int n) {
        return buffers == null ? new float[n] : buffers.lossWeights(n);
    }

    /** The OpenRLHF parameter names every estimator with an {@code openrlhf} preset declares. */
    static List<ParamSpec> openRlhfParams() {
        return List.of(
                ParamSpec.real(
                        "gamma",
                        1.0,
                        0.0,
                        1.0,
                        "discount of the cumulative return; accepted for OpenRLHF compatibility, which forces it to 1 for"
                                + " group estimators, as apportion does (the requested value is reported as a diagnostic)"),
                ParamSpec.real(
                        "lambda",
                        1.0,
                        0.0,
                        1.0,
                        "GAE lambda; accepted for OpenRLHF compatibility (its --algo.advantage.lambd), unused here"),
                ParamSpec.real(
                        "kl_coef",
                        0.0,
                        0.0,
                        null,
                        "coefficient of the per-token KL penalty added to the token rewards (OpenRLHF init_kl_coef);"
                                + " 0 = none; needs token signals logprob and ref_logprob"),
                ParamSpec.choice(
                        "kl_estimator",
                        "k1",
                        List.of("k1", "k2", "k3", "abs"),
                        "KL estimator of the penalty: k1 = d, k2 = d²/2, k3 = exp(−d) − 1 + d, abs = |d|, d = logprob − ref_logprob"),
                ParamSpec.bool(
                        "kl_use_loss",
                        false,
                        "true: the KL goes into the loss instead of the reward (OpenRLHF --algo.kl.use_loss), so no penalty here"),
                ParamSpec.real(
                        "kl_clamp",
                        10.0,
                        0.0,
                        null,
                        "bound on the absolute value of each token's KL estimate (10 in OpenRLHF)"),
                ParamSpec.realList(
                        "reward_clip_range",
                        List.of(),
                        "[lo, hi]: clip the shaped per-trajectory scalar (after the group baseline, as OpenRLHF does); empty = no clip"),
                ParamSpec.bool(
                        "no_std_norm",
                        false,
                        "OpenRLHF --algo.advantage.no_std_norm: whitening only shifts by the mean; only estimators that whiten use it"));
    }

    /** Resolved OpenRLHF shaping settings. */
    record Shaping(
            double clipLo,
            double clipHi,
            boolean clip,
            double klCoef,
            KlPenalty.Kind kind,
            boolean klUseLoss,
            double klClamp,
            double gammaRequested) {

        static Shaping of(Params p, String estimator) {
            double[] range = p.getDoubleList("reward_clip_range");
            boolean clip = range.length > 0;
            if (clip && (range.length != 2 || range[0] > range[1])) {
                throw new IllegalArgumentException("estimator '" + estimator
                        + "': reward_clip_range must be [lo, hi] with lo <= hi, got " + Arrays.toString(range));
            }
            return new Shaping(
                    clip ? range[0] : Double.NEGATIVE_INFINITY,
                    clip ? range[1] : Double.POSITIVE_INFINITY,
                    clip,
                    p.getDouble("kl_coef"),
                    p.getChoice("kl_estimator", KlPenalty.Kind.class),
                    p.getBoolean("kl_use_loss"),
                    p.getDouble("kl_clamp"),
                    p.getDouble("gamma"));
        }

        /** True when a KL penalty enters the token rewards. */
        boolean klActive() {
            return klCoef > 0 && !klUseLoss;
        }
    }

    /**
     * Turns per-trajectory values into per-token credit: clips them when a range is set (in
     * place), then broadcasts, or runs the OpenRLHF cumulative return when a KL penalty is on.
     *
     * @param perTrajectory read and written (clipped in place)
     * @return per-token values, 0 on context tokens (a fresh array)
     */
    static float[] assign(Rollouts b, double[] perTrajectory, Shaping s, String estimator, Execution ex) {
        return assign(b, perTrajectory, s, estimator, ex, null);
    }

    /**
     * As {@link #assign(Rollouts, double[], Shaping, String, Execution)}, writing the broadcast
     * into {@code buffers.advantages(n)} when buffers are given (every token is overwritten).
     */
    static float[] assign(
            Rollouts b,
            double[] perTrajectory,
            Shaping s,
            String estimator,
            Execution ex,
            dev.apportion.core.credit.Credit.Buffers buffers) {
        if (s.clip()) {
            for (int i = 0; i < perTrajectory.length; i++) {
                perTrajectory[i] = Math.max(s.clipLo(), Math.min(s.clipHi(), perTrajectory[i]));
            }
        }
        if (s.klActive())
            return cumulative(
                    b, perTrajectory, s, estimator, ex, buffers == null ? null : buffers.advantages(b.tokenCount()));
        return buffers == null
                ? broadcast(b, perTrajectory, ex)
                : broadcastInto(b, perTrajectory, ex, buffers.advantages(b.tokenCount()));
    }

    /**
     * Like {@link #broadcast} into a caller's array of unspecified contents: every token is
     * written (the value on policy tokens, 0 on context tokens), in one pass.
     *
     * @param perTrajectory read
     * @param out written, one per token
     */
    static float[] broadcastInto(Rollouts b, double[] perTrajectory, Execution ex, float[] out) {
        Broadcast.trajectories(b, perTrajectory, out, ex);
        return out;
    }

    /**
     * {@code perTrajectory[i]} on every policy token of trajectory {@code i}; context tokens stay 0.
     *
     * @param perTrajectory read
     * @return a fresh array
     */
    static float[] broadcast(Rollouts b, double[] perTrajectory, Execution ex) {
        float[] out = new float[b.tokenCount()];
        int[] spanOff = b.trajectorySpanOffsets();
        int[] tokOff = b.spanTokenOffsets();
        ex.forTrajectories(b, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                float v = (float) perTrajectory[i];
                if (v == 0f) continue;
                for (int s = spanOff[i], e = spanOff[i + 1]; s < e; s++) {
                    if (b.isPolicySpan(s)) Arrays.fill(out, tokOff[s], tokOff[s + 1], v);
                }
            }
        });
        return out;
    }

    /**
     * OpenRLHF's token rewards and cumulative return with γ = 1: on a policy token {@code t} of
     * trajectory {@code i}, {@code G_t = r_i − kl_coef · Σ_{u ≥ t, u policy} clamp(KL_u)} where
     * {@code r_i} sits on the last policy token.
     */
    /**
     * The KL-shaped reward-to-go per policy token, 0 on every other token.
     *
     * @param into a caller's array of unspecified contents (every token is written), or null for a fresh one
     */
    private static float[] cumulative(
            Rollouts b, double[] perTrajectory, Shaping s, String estimator, Execution ex, float[] into) {
        String why = "for the KL penalty (kl_coef=" + s.klCoef() + "); set kl_coef=0 or kl_use_loss=true to do without";
        float[] lp = b.requireTokenSignal(Rollouts.LOGPROB, estimator, "the policy's log-probs, " + why);
        float[] ref = b.requireTokenSignal(Rollouts.REF_LOGPROB, estimator, "the reference model's log-probs, " + why);
        byte[] mask = b.mask();
        boolean fresh = into == null;
        float[] out = fresh ? new float[b.tokenCount()] : into;
        double coef = s.klCoef();
        double clamp = s.klClamp();
        KlPenalty.Kind kind = s.kind();
        ex.forTrajectories(b, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int last = b.lastPolicyToken(i);
                if (!fresh) java.util.Arrays.fill(out, last < 0 ? b.tokenStart(i) : last + 1, b.tokenEnd(i), 0f);
                if (last < 0) continue;
                double running = 0;
                for (int t = last; t >= b.tokenStart(i); t--) {
                    if (mask[t] == 0) {
                        if (!fresh) out[t] = 0f;
                        continue;
                    }
                    double kl = KlPenalty.estimate(kind, lp[t], ref[t]);
                    kl = Math.max(-clamp, Math.min(clamp, kl));
                    running -= coef * kl;
                    if (t == last) running += perTrajectory[i];
                    out[t] = (float) running;
                }
            }
        });
        return out;
    }

    /** Rejects a group of one under {@code singleton=error} (OpenRLHF asserts n_samples_per_prompt > 1). */
    static void requireGroupsOfTwo(Rollouts b, String estimator, String why) {
        for (int g = 0; g < b.groupCount(); g++) {
            if (b.groupSize(g) < 2) {
                int i = b.groupMembers()[b.groupMemberStart()[g]];
                throw new RolloutException(
                        b.describe(i) + " is alone in group '" + b.groupKey(g) + "': estimator '" + estimator + "' "
                                + why + " needs at least 2 trajectories per group",
                        i,
                        "group");
            }
        }
    }
}
