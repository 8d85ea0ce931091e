package dev.apportion.core.estimator.turn;

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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * SPA-RL stepwise progress rewards fed into TRL 0.10.1 PPO ({@code spa_rl}): each agent step's
 * reward is placed on the step's last token with the released trainer's weighting, the KL
 * penalty sits on every position, and TRL's GAE runs over the whole query+response sequence.
 *
 * <h2>Formula</h2>
 * One trajectory per row of TRL's (query+response) sequence after the one-token shift; policy
 * spans = the agent's actions (all earlier steps and the final response), context spans =
 * observations and padding; token signals {@code logprob}, {@code ref_logprob}, {@code value};
 * the step reward of action j is its span reward (from {@code spa_rl_step_rewards}).
 * <ol>
 *   <li>{@code kl = lp − ref} ({@code kl}), {@code |lp − ref|} ({@code abs}),
 *       {@code ½(lp − ref)²} ({@code mse}); {@code non_score_reward = −kl_coef·kl} on every
 *       position, and {@code rewards} starts as that.</li>
 *   <li>With P non-empty policy spans, the span with p policy spans to its right gets weight p
 *       (the reference walks the mask runs from the right: the last step has weight 0, the first
 *       P − 1); its last token gets {@code + f16(f16(s)·p)} ({@code score_dtype = float16}: the
 *       trainer stores scores as a half tensor) or {@code + s·p} ({@code float32}). A span
 *       without a reward gets nothing.</li>
 *   <li>GAE (TRL {@code compute_advantages}): {@code v = value·mask}, {@code r = rewards·mask};
 *       optionally {@code whiten_rewards}: {@code r ← (r − μ)/√(σ² + 1e-8) + μ} at every position
 *       (μ, unbiased σ² over the batch's policy tokens); backward over every position,
 *       {@code δ_t = r_t + γ·v_{t+1} − v_t}, {@code A_t = δ_t + γλ·A_{t+1}} ({@code v_T = A_T = 0});
 *       {@code returns = A + v}; {@code advantages = (A − μ_A)/√(σ_A² + 1e-8)} over the batch's
 *       policy tokens (unbiased).</li>
 * </ol>
 *
 * <h2>Source</h2>
 * H. Wang et al., "SPA-RL: Reinforcing LLM Agents via Stepwise Progress Attribution", arXiv
 * 2505.20732; code WangHanLinHenry/SPA-RL-Agent @ ed200874d726ef25d52851bd47f12f2b1408b545,
 * {@code ppo/step_ppotrainer.py} {@code StepPPOTrainer.compute_rewards}, score cast in
 * {@code ppo/step_ppo.py}; GAE from huggingface/trl @ 55cc4b1076144b74a6ce5d07557b7f664b1de8d9
 * (v0.10.1, pinned by SPA-RL) {@code PPOTrainer._kl_penalty}, {@code compute_advantages},
 * {@code trl/core.py} {@code masked_whiten}. Fidelity {@code reference}: matches the 16 public
 * golden cases of {@code agentic-turn.md} §2.
 *
 * <h2>Parameters and presets</h2>
 * TRL 0.10.1 {@code PPOConfig} defaults (SPA-RL's own config is not released): {@code kl_coef}
 * 0.2 (the adaptive controller's initial value), {@code kl_penalty} kl, {@code gamma} 1,
 * {@code lam} 0.95, {@code whiten_rewards} false, {@code score_dtype} float16. Preset
 * {@code trl} = the defaults.
 *
 * <h2>Edge cases (reproduced quirks)</h2>
 * The last step's reward (which carries the outcome) has weight 0 and never reaches the reward
 * tensor. GAE runs through observations and padding (mask-0 positions decay the trace by γλ);
 * with {@code whiten_rewards} mask-0 positions get a non-zero reward. {@code kl_penalty = full}
 * needs logits and is not offered. Fewer than 2 policy tokens in the batch cannot be whitened
 * (an error). Context tokens get advantage 0; returns are given at every position.
 *
 * <h2>Cost</h2>
 * A token-level GAE (TRL's), not a turn broadcast: one fused backward pass reads the log-probs,
 * reference log-probs, values and mask and writes the returns and one double of advantage per
 * token (the scans of two trajectories interleaved: independent recurrences whose latencies
 * overlap; the whitening mean's sum, a third chain in token order, advances in the same loop over
 * the tokens scanned before); the whitening then reads those doubles once more (variance) and
 * writes the advantages, both span by span (no mask test per token). The declared floor of {@code apportion perf} counts the four input streams and the
 * two outputs (21 bytes per token); the estimator moves about 45 (docs/performance.md).
 *
 * <p>Stateless and thread-safe.
 */
public final class SpaRl implements Estimator {
    public static final String ID = "spa_rl";

    /** Values of {@code kl_penalty}: the per-token KL estimate. */
    enum KlPenalty {
        KL,
        ABS,
        MSE
    }

    /** Values of {@code score_dtype}. */
    enum ScoreDtype {
        FLOAT16,
        FLOAT32
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("SPA-RL: stepwise progress rewards (released weighting) into TRL 0.10.1 PPO GAE")
            .source(
                    "Wang et al., SPA-RL, arXiv 2505.20732; WangHanLinHenry/SPA-RL-Agent@ed20087 ppo/step_ppotrainer.py compute_rewards "
                            + "+ huggingface/trl@55cc4b1 (v0.10.1) compute_advantages")
            .granularity(Granularity.TURN)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(
                    SignalRequirement.span("reward", "the step rewards (spa_rl_step_rewards, or a progress model)"),
                    SignalRequirement.token(Rollouts.LOGPROB, "the policy"),
                    SignalRequirement.token(Rollouts.REF_LOGPROB, "the reference policy"),
                    SignalRequirement.token(Rollouts.VALUE, "the critic"))
            .parameters(
                    ParamSpec.real("kl_coef", 0.2, 0.0, null, "KL penalty coefficient (TRL init_kl_coef)"),
                    ParamSpec.choice("kl_penalty", KlPenalty.KL, "per-token KL estimate"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount"),
                    ParamSpec.real("lam", 0.95, 0.0, 1.0, "GAE lambda"),
                    ParamSpec.bool(
                            "whiten_rewards", false, "whiten the rewards over the batch's policy tokens before GAE"),
                    ParamSpec.choice("score_dtype", ScoreDtype.FLOAT16, "storage type of the step scores"))
            .preset("trl", Map.of())
            .preset("paper", Map.of())
            .summary(
                    "r = -kl_coef*KL + f16(s_j*(#steps to the right)) on step ends; TRL GAE over all positions; whitened advantages")
            .build();

    /** Per-token rewards before GAE. */
    public record Components(float[] rewards, float[] nonScoreReward) {}

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@code rewards} and {@code non_score_reward} at every token. */
    public Components components(Rollouts batch, Params params) {
        float[] lp = batch.requireTokenSignal(Rollouts.LOGPROB, ID, "the policy");
        float[] ref = batch.requireTokenSignal(Rollouts.REF_LOGPROB, ID, "the reference policy");
        double coef = params.getDouble("kl_coef");
        KlPenalty kind = params.getChoice("kl_penalty", KlPenalty.class);
        boolean half = params.getChoice("score_dtype", ScoreDtype.class) == ScoreDtype.FLOAT16;
        int n = batch.tokenCount();
        float[] nsr = new float[n];
        int k = kind == KlPenalty.ABS ? 1 : kind == KlPenalty.MSE ? 2 : 0;
        float c = (float) (-coef);
        for (int t = 0; t < n; t++) {
            float d = lp[t] - ref[t];
            float kl = k == 0 ? d : (k == 1 ? Math.abs(d) : 0.5f * d * d);
            nsr[t] = c * kl;
        }
        float[] rewards = nsr.clone();
        float[] sr = batch.spanReward();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int right = 0;
            for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) {
                if (!batch.isPolicySpan(s) || batch.spanTokenEnd(s) == batch.spanTokenStart(s)) continue;
                float score = sr == null ? Float.NaN : sr[s];
                if (!Float.isNaN(score)) {
                    double add = half ? Half.round(Half.round(score) * right) : (double) score * right;
                    int last = batch.spanTokenEnd(s) - 1;
                    rewards[last] = rewards[last] + (float) add;
                }
                right++;
            }
        }
        return new Components(rewards, nsr);
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /**
     * {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is
     * overwritten). One fused backward pass computes the rewards of {@link #components} on the fly
     * (the score additions at step ends are kept as a sorted list of token positions), the GAE
     * advantages (held in one array of doubles for the whitening) and the returns; then the
     * whitening reads the advantages twice (mean and variance, as {@code stats}) and writes them.
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        float[] lp = batch.requireTokenSignal(Rollouts.LOGPROB, ID, "the policy");
        float[] ref = batch.requireTokenSignal(Rollouts.REF_LOGPROB, ID, "the reference policy");
        double coef = params.getDouble("kl_coef");
        KlPenalty kind = params.getChoice("kl_penalty", KlPenalty.class);
        boolean half = params.getChoice("score_dtype", ScoreDtype.class) == ScoreDtype.FLOAT16;
        int k = kind == KlPenalty.ABS ? 1 : kind == KlPenalty.MSE ? 2 : 0;
        float c = (float) (-coef);
        float[] value = batch.requireTokenSignal(Rollouts.VALUE, ID, "the critic");
        double gamma = params.getDouble("gamma");
        double lam = params.getDouble("lam");
        byte[] mask = batch.mask();
        int n = batch.tokenCount();
        int trajectories = batch.trajectoryCount();

        // score additions on step-end tokens, in token order, as components() adds them
        float[] sr = batch.spanReward();
        int[] addStart = new int[trajectories + 1];
        int[] addTok = new int[sr == null ? 0 : batch.spanCount()];
        float[] addVal = new float[addTok.length];
        int adds = 0;
        for (int i = 0; i < trajectories; i++) {
            addStart[i] = adds;
            if (sr == null) continue;
            int right = 0;
            int from = adds;
            for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) {
                if (!batch.isPolicySpan(s) || batch.spanTokenEnd(s) == batch.spanTokenStart(s)) continue;
                float score = sr[s];
                if (!Float.isNaN(score)) {
                    double add = half ? Half.round(Half.round(score) * right) : (double) score * right;
                    addTok[adds] = batch.spanTokenEnd(s) - 1;
                    addVal[adds++] = (float) add;
                }
                right++;
            }
            reverse(addTok, addVal, from, adds); // collected backwards: put them in token order
        }
        addStart[trajectories] = adds;

        boolean whiten = params.getBoolean("whiten_rewards");
        double wMean = 0;
        double wScale = 1;
        if (whiten) {
            long m = 0;
            double sum = 0;
            for (int i = 0; i < trajectories; i++) {
                int p = addStart[i];
                for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                    float rew = c * kl(lp[t] - ref[t], k);
                    if (p < addStart[i + 1] && addTok[p] == t) rew = rew + addVal[p++];
                    if (mask[t] != 0) {
                        m++;
                        sum += rew;
                    }
                }
            }
            requireTwo(m);
            double mu = sum / m;
            double ss = 0;
            for (int i = 0; i < trajectories; i++) {
                int p = addStart[i];
                for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                    float rew = c * kl(lp[t] - ref[t], k);
                    if (p < addStart[i + 1] && addTok[p] == t) rew = rew + addVal[p++];
                    if (mask[t] != 0) ss += (rew - mu) * (rew - mu);
                }
            }
            wMean = mu;
            wScale = 1.0 / Math.sqrt(ss / m * m / (m - 1.0) + 1e-8);
        }

        double[] a = new double[n];
        float[] returns = Outputs.second(buffers, n);
        Scan scan = new Scan(lp, ref, value, mask, c, k, addTok, addVal, whiten, wMean, wScale, gamma, lam, a, returns);
        for (int i = 0; i < trajectories; i += 2) {
            // two trajectories' scans at a time: independent recurrences, each in its own order;
            // the mean's sum (one chain in token order) advances over the tokens scanned before
            if (i + 1 < trajectories) {
                scan.runTwo(
                        batch.tokenStart(i),
                        batch.tokenEnd(i),
                        addStart[i],
                        addStart[i + 1],
                        batch.tokenStart(i + 1),
                        batch.tokenEnd(i + 1),
                        addStart[i + 2]);
            } else {
                scan.run(batch.tokenStart(i), batch.tokenEnd(i), addStart[i], addStart[i + 1]);
            }
        }
        scan.sumUpTo(n);
        long m = scan.m;
        double sum = scan.sum;
        requireTwo(m);
        double mu = sum / m;
        double ss = squares(batch, a, mu);
        double var = ss / m * m / (m - 1.0);
        double scale = 1.0 / Math.sqrt(var + 1e-8);
        float[] adv = Outputs.advantages(buffers, n);
        whiten(batch, a, mu, scale, adv);
        return Credit.builder(adv)
                .returns(returns)
                .diagnostic("whiten_mean", mu)
                .diagnostic("whiten_var", var)
                .build();
    }

    /**
     * The backward GAE scan of one trajectory, rewards computed on the fly (a small method, compiled
     * early), and the whitening mean's sum over the advantages: {@code sum += a[t]} over the policy
     * tokens in token order, one chain of dependent additions, advanced by {@link #runTwo} over the
     * tokens scanned before its own (so that its latency overlaps the scans') and completed by
     * {@link #sumUpTo}.
     */
    private static final class Scan {
        private final float[] lp;
        private final float[] ref;
        private final float[] value;
        private final byte[] mask;
        private final float c;
        private final int k;
        private final int[] addTok;
        private final float[] addVal;
        private final boolean whiten;
        private final double wMean;
        private final double wScale;
        private final double gamma;
        private final double lam;
        private final double[] a;
        private final float[] returns;
        /** Policy tokens summed so far, their sum, and the next token the sum adds. */
        long m;

        double sum;
        int summed;

        Scan(
                float[] lp,
                float[] ref,
                float[] value,
                byte[] mask,
                float c,
                int k,
                int[] addTok,
                float[] addVal,
                boolean whiten,
                double wMean,
                double wScale,
                double gamma,
                double lam,
                double[] a,
                float[] returns) {
            this.lp = lp;
            this.ref = ref;
            this.value = value;
            this.mask = mask;
            this.c = c;
            this.k = k;
            this.addTok = addTok;
            this.addVal = addVal;
            this.whiten = whiten;
            this.wMean = wMean;
            this.wScale = wScale;
            this.gamma = gamma;
            this.lam = lam;
            this.a = a;
            this.returns = returns;
        }

        /** Completes the mean's sum up to token {@code to} (exclusive; every token before it is scanned). */
        void sumUpTo(int to) {
            long cnt = m;
            double s = sum;
            for (int t = summed; t < to; t++) {
                if (mask[t] != 0) {
                    cnt++;
                    s += a[t];
                }
            }
            m = cnt;
            sum = s;
            summed = Math.max(summed, to);
        }

        /**
         * {@link #run} of trajectory A ({@code [fromA, toA)}, additions {@code [firstA, endA)}) and
         * of the next trajectory B (additions {@code [endA, endB)}) in one loop: the two
         * recurrences are independent, so the processor overlaps their latency; each trajectory's
         * arithmetic is exactly {@link #run}'s, in the same order.
         */
        void runTwo(int fromA, int toA, int firstA, int endA, int fromB, int toB, int endB) {
            double nextA = 0;
            double accA = 0;
            double nextB = 0;
            double accB = 0;
            int pA = endA - 1;
            int pB = endB - 1;
            int tA = toA - 1;
            int tB = toB - 1;
            double gl = gamma * lam;
            // the mean's sum: two tokens per step over [u, fromA), scanned by earlier calls
            int u = summed;
            long cnt = m;
            double s = sum;
            while (tA >= fromA && tB >= fromB) {
                if (u + 1 < fromA) {
                    if (mask[u] != 0) {
                        cnt++;
                        s += a[u];
                    }
                    if (mask[u + 1] != 0) {
                        cnt++;
                        s += a[u + 1];
                    }
                    u += 2;
                }
                float rewA = c * kl(lp[tA] - ref[tA], k);
                if (pA >= firstA && addTok[pA] == tA) rewA = rewA + addVal[pA--];
                float rewB = c * kl(lp[tB] - ref[tB], k);
                if (pB >= endA && addTok[pB] == tB) rewB = rewB + addVal[pB--];
                double rA = mask[tA] != 0 ? rewA : 0.0;
                double rB = mask[tB] != 0 ? rewB : 0.0;
                if (whiten) {
                    rA = (rA - wMean) * wScale + wMean;
                    rB = (rB - wMean) * wScale + wMean;
                }
                double vA = mask[tA] != 0 ? value[tA] : 0.0;
                double vB = mask[tB] != 0 ? value[tB] : 0.0;
                accA = (rA + gamma * nextA - vA) + gl * accA;
                accB = (rB + gamma * nextB - vB) + gl * accB;
                a[tA] = accA;
                a[tB] = accB;
                returns[tA] = (float) (accA + vA);
                returns[tB] = (float) (accB + vB);
                nextA = vA;
                nextB = vB;
                tA--;
                tB--;
            }
            summed = u;
            m = cnt;
            sum = s;
            finish(fromA, tA, firstA, pA, nextA, accA);
            finish(fromB, tB, endA, pB, nextB, accB);
            sumUpTo(fromA); // the earlier tokens the loop did not reach
        }

        /** The rest of {@link #run} from token {@code t} down, with the scan's state so far. */
        private void finish(int from, int t, int firstAdd, int p, double next, double acc) {
            for (; t >= from; t--) {
                float rew = c * kl(lp[t] - ref[t], k);
                if (p >= firstAdd && addTok[p] == t) rew = rew + addVal[p--];
                double r = mask[t] != 0 ? rew : 0.0;
                if (whiten) r = (r - wMean) * wScale + wMean;
                double v = mask[t] != 0 ? value[t] : 0.0;
                double delta = r + gamma * next - v;
                acc = delta + gamma * lam * acc;
                a[t] = acc;
                next = v;
                returns[t] = (float) (acc + v);
            }
        }

        void run(int from, int to, int firstAdd, int endAdd) {
            finish(from, to - 1, firstAdd, endAdd - 1, 0, 0);
        }
    }

    /**
     * {@code Σ (a[t] − μ)²} over the policy tokens in token order: span by span (the mask is 1
     * exactly on the tokens of policy spans, which tile the batch in order), no test per token.
     */
    private static double squares(Rollouts batch, double[] a, double mu) {
        double ss = 0;
        for (int s = 0; s < batch.spanCount(); s++) {
            if (!batch.isPolicySpan(s)) continue;
            int end = batch.spanTokenEnd(s);
            for (int t = batch.spanTokenStart(s); t < end; t++) ss += (a[t] - mu) * (a[t] - mu);
        }
        return ss;
    }

    /** The whitened advantages on policy tokens, 0 elsewhere: span by span, no test per token. */
    private static void whiten(Rollouts batch, double[] a, double mu, double scale, float[] adv) {
        for (int s = 0; s < batch.spanCount(); s++) {
            int st = batch.spanTokenStart(s);
            int end = batch.spanTokenEnd(s);
            if (!batch.isPolicySpan(s)) {
                java.util.Arrays.fill(adv, st, end, 0f);
                continue;
            }
            for (int t = st; t < end; t++) adv[t] = (float) ((a[t] - mu) * scale);
        }
    }

    private static float kl(float d, int k) {
        return k == 0 ? d : (k == 1 ? Math.abs(d) : 0.5f * d * d);
    }

    private static void reverse(int[] tok, float[] val, int from, int to) {
        for (int x = from, y = to - 1; x < y; x++, y--) {
            int t = tok[x];
            tok[x] = tok[y];
            tok[y] = t;
            float v = val[x];
            val[x] = val[y];
            val[y] = v;
        }
    }

    private static void requireTwo(long m) {
        if (m < 2) {
            throw new RolloutException("estimator '" + ID
                    + "' whitens over the batch's policy tokens and needs at least 2, the batch has " + m);
        }
    }
}
