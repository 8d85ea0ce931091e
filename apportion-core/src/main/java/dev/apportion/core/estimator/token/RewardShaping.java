package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.KlPenalty;
import java.util.Arrays;
import java.util.List;

/**
 * Per-token rewards of one trajectory as the token-level estimators consume them, with the
 * OpenRLHF shaping options (outcome clip, KL penalty in the reward).
 *
 * <p>For trajectory {@code i} with local token index {@code k}:
 * {@code ρ_k = reward_k + [span reward on the span's last token] + [clip(outcome) on the last
 * policy token] − β·clamp(KL_k, ±kl_clamp)·[k is a policy token]}. Without clip and KL this is
 * {@link Rollouts#denseTokenRewards()} on the trajectory's policy tokens (same float additions in
 * the same order). An absent outcome adds nothing (it is not clipped as a 0).
 * Instances are immutable and may be shared by threads; {@link #fill} writes only its argument.
 */
final class RewardShaping {
    static final ParamSpec KL_COEF = ParamSpec.real(
            "kl_coef",
            0.0,
            null,
            null,
            "coefficient β of the per-token KL penalty added to the rewards (OpenRLHF init_kl_coef); <= 0 turns it off");
    static final ParamSpec KL_ESTIMATOR = ParamSpec.choice(
            "kl_estimator",
            "k1",
            List.of("k1", "k2", "k3", "abs"),
            "KL estimate of each policy token from logprob and ref_logprob: k1 d, k2 d²/2, k3 exp(-d)-1+d, abs |d|");
    static final ParamSpec KL_USE_LOSS = ParamSpec.bool(
            "kl_use_loss",
            false,
            "true: the KL goes to the loss (OpenRLHF --algo.kl.use_loss), so no KL penalty enters the rewards");
    static final ParamSpec KL_CLAMP = ParamSpec.real(
            "kl_clamp",
            10.0,
            0.0,
            null,
            "absolute bound on each token's KL estimate before it is scaled by kl_coef (10 in OpenRLHF)");
    static final ParamSpec REWARD_CLIP_RANGE = ParamSpec.realList(
            "reward_clip_range",
            List.of(),
            "[lo, hi] clamp of the trajectory outcome before it is placed on the last policy token (OpenRLHF "
                    + "--reward.clip_range); empty: no clip");

    private final Rollouts batch;
    private final String estimator;
    private final float[] tokenReward;
    private final float[] spanReward;
    private final double[] outcome; // NaN: absent
    private final KlPenalty.Kind klKind;
    private final double klCoef;
    private final double klClamp;
    private final float[] logprob;
    private final float[] refLogprob;

    private RewardShaping(
            Rollouts batch,
            String estimator,
            double clipLo,
            double clipHi,
            KlPenalty.Kind klKind,
            double klCoef,
            double klClamp,
            float[] logprob,
            float[] refLogprob) {
        this.batch = batch;
        this.estimator = estimator;
        this.tokenReward = batch.tokenSignal(Rollouts.REWARD);
        this.spanReward = batch.spanReward();
        this.outcome = outcomes(batch);
        for (int i = 0; i < outcome.length; i++) {
            if (!Double.isNaN(outcome[i])) outcome[i] = Math.max(clipLo, Math.min(clipHi, outcome[i]));
        }
        this.klKind = klKind;
        this.klCoef = klCoef;
        this.klClamp = klClamp;
        this.logprob = logprob;
        this.refLogprob = refLogprob;
    }

    /** Dense rewards with no clip and no KL (verl's token_level_rewards). */
    static RewardShaping dense(Rollouts batch, String estimator) {
        return new RewardShaping(
                batch,
                estimator,
                Double.NEGATIVE_INFINITY,
                Double.POSITIVE_INFINITY,
                KlPenalty.Kind.K1,
                0,
                0,
                null,
                null);
    }

    /**
     * Rewards shaped by the parameters {@link #KL_COEF}, {@link #KL_ESTIMATOR}, {@link #KL_USE_LOSS},
     * {@link #KL_CLAMP} and {@link #REWARD_CLIP_RANGE}.
     *
     * @throws IllegalArgumentException for a clip range that is not {@code [lo, hi]} with lo <= hi
     * @throws dev.apportion.core.rollout.RolloutException when the KL penalty is on and the batch
     *     lacks {@code logprob} or {@code ref_logprob}
     */
    static RewardShaping of(Rollouts batch, Params p, String estimator) {
        double[] clip = p.getDoubleList(REWARD_CLIP_RANGE.name());
        double lo = Double.NEGATIVE_INFINITY;
        double hi = Double.POSITIVE_INFINITY;
        if (clip.length == 2) {
            lo = clip[0];
            hi = clip[1];
            if (lo > hi) {
                throw new IllegalArgumentException("estimator '" + estimator
                        + "': reward_clip_range must be [lo, hi] with lo <= hi, got " + Arrays.toString(clip));
            }
        } else if (clip.length != 0) {
            throw new IllegalArgumentException("estimator '" + estimator
                    + "': reward_clip_range must be empty or [lo, hi], got " + Arrays.toString(clip));
        }
        double coef = p.getDouble(KL_COEF.name());
        boolean klOn = coef > 0 && !p.getBoolean(KL_USE_LOSS.name());
        float[] lp = null;
        float[] ref = null;
        if (klOn) {
            lp = batch.requireTokenSignal(
                    Rollouts.LOGPROB,
                    estimator,
                    "the policy's log-probabilities, needed for the KL penalty since kl_coef > 0 and kl_use_loss is false");
            ref = batch.requireTokenSignal(
                    Rollouts.REF_LOGPROB,
                    estimator,
                    "the reference model's log-probabilities, needed for the KL penalty since kl_coef > 0 and kl_use_loss is false");
        }
        return new RewardShaping(
                batch,
                estimator,
                lo,
                hi,
                p.getChoice(KL_ESTIMATOR.name(), KlPenalty.Kind.class),
                klOn ? coef : 0,
                p.getDouble(KL_CLAMP.name()),
                lp,
                ref);
    }

    /** True when a KL penalty enters the rewards. */
    boolean klOn() {
        return klCoef > 0;
    }

    /** Id of the estimator, for messages. */
    String estimator() {
        return estimator;
    }

    /** The token {@code reward} signal (read-only), or null when the batch has none. */
    float[] tokenRewards() {
        return tokenReward;
    }

    /**
     * Writes the rewards of trajectory {@code i} into {@code dst[0 .. tokenCount(i))}: the token
     * reward plus, on policy tokens, what {@link #addExtras} adds. (A span reward on a context
     * span is left out: every token estimator ignores rewards on context tokens.)
     *
     * @param dst written; must hold at least the trajectory's token count
     */
    void fill(int i, float[] dst) {
        int base = batch.tokenStart(i);
        int n = batch.tokenEnd(i) - base;
        if (tokenReward != null) System.arraycopy(tokenReward, base, dst, 0, n);
        else Arrays.fill(dst, 0, n, 0f);
        int last = batch.lastPolicyToken(i);
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s)) addExtras(i, s, last, dst, base);
        }
    }

    /**
     * Writes the rewards of trajectory {@code i} into {@code dst} at the trajectory's own token
     * indices (as {@link #fill}, which writes them from index 0).
     *
     * @param dst written on the trajectory's tokens
     */
    void fillAt(int i, float[] dst) {
        int ts = batch.tokenStart(i);
        int te = batch.tokenEnd(i);
        if (tokenReward != null) System.arraycopy(tokenReward, ts, dst, ts, te - ts);
        else Arrays.fill(dst, ts, te, 0f);
        int last = batch.lastPolicyToken(i);
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s)) addExtras(i, s, last, dst, 0);
        }
    }

    /**
     * Adds the rewards of policy span {@code s} (of trajectory {@code i}) that are not token
     * rewards: the span's reward on its last token, the clipped outcome when the span holds the
     * trajectory's last policy token {@code last}, and {@code −β·clamp(KL)} on each token.
     *
     * @param dst read and written at {@code t − offset} for the span's tokens {@code t}
     */
    void addExtras(int i, int s, int last, float[] dst, int offset) {
        int ts = batch.spanTokenStart(s);
        int te = batch.spanTokenEnd(s);
        if (te == ts) return;
        if (spanReward != null && !Float.isNaN(spanReward[s])) dst[te - 1 - offset] += spanReward[s];
        if (last == te - 1 && !Double.isNaN(outcome[i])) dst[last - offset] += (float) outcome[i];
        if (klCoef > 0) {
            for (int t = ts; t < te; t++) {
                double kl = KlPenalty.estimate(klKind, logprob[t], refLogprob[t]);
                kl = Math.max(-klClamp, Math.min(klClamp, kl));
                dst[t - offset] = (float) (dst[t - offset] - klCoef * kl);
            }
        }
    }

    /** Largest trajectory token count, for scratch buffers. */
    static int maxTrajectoryLength(Rollouts batch) {
        int m = 0;
        int[] off = batch.trajectoryTokenOffsets();
        for (int i = 0; i + 1 < off.length; i++) m = Math.max(m, off[i + 1] - off[i]);
        return m;
    }

    /**
     * The trajectory outcome as {@link Rollouts#denseTokenRewards()} places it: the outcome where
     * the batch has one, else the sum of the present outcome components; NaN where absent.
     */
    static double[] outcomes(Rollouts batch) {
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        Arrays.fill(out, Double.NaN);
        float[] o = batch.outcome();
        if (o != null) {
            for (int i = 0; i < n; i++) out[i] = o[i];
        } else {
            for (float[] c : batch.outcomeComponents().values()) {
                for (int i = 0; i < n; i++) {
                    if (Float.isNaN(c[i])) continue;
                    out[i] = Double.isNaN(out[i]) ? c[i] : out[i] + c[i];
                }
            }
        }
        return out;
    }
}
