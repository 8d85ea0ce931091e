package dev.apportion.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The language-model policy: sampling episodes (with the task's tool environment), scoring
 * episodes by teacher forcing (per-token log-probs, entropy, attention and hidden-state
 * features), and the gradients of the supervised and PPO-clip losses. The parameters live in
 * {@link Weights}; each call copies them into a fresh engine scope and releases it at the end.
 */
public final class Policy {
    private Policy() {}

    // ------------------------------------------------------------------ sampling

    /**
     * Continues every unfinished episode by sampling (temperature 1) until each ends: an
     * {@code <eos>}, a tool call over the allowed number, or the length limit
     * ({@code maxLen} of the model). Tool calls are answered by {@code task} and the observation
     * appended as context tokens. Deterministic in {@code rnd}'s state.
     */
    public static void generate(Weights w, Task task, List<Episode> eps, SplittableRandom rnd) {
        int maxLen = w.config().maxLen();
        int vocab = w.config().vocab();
        int close = CharTokenizer.id(']');
        for (Episode e : eps) if (!e.done && e.len >= maxLen) finish(task, e, false);
        try (NDManager m = NDManager.newBaseManager(
                LmEngine.get().defaultDevice(), LmEngine.get().getEngineName())) {
            Transformer net = new Transformer(m, w, false);
            List<Episode> active = new ArrayList<>();
            while (true) {
                active.clear();
                for (Episode e : eps) if (!e.done) active.add(e);
                if (active.isEmpty()) break;
                int n = active.size();
                int t = 0;
                for (Episode e : active) t = Math.max(t, e.len);
                int[] ids = new int[n * t];
                float[] sel = new float[n * t];
                for (int a = 0; a < n; a++) {
                    Episode e = active.get(a);
                    System.arraycopy(e.tok, 0, ids, a * t, e.len);
                    sel[a * t + e.len - 1] = 1f;
                }
                float[] lp;
                try (NDManager s = m.newSubManager()) {
                    NDArray x = s.create(ids, new Shape(n, t));
                    Transformer.Output out = net.forward(x, false);
                    lp = out.logProbs()
                            .mul(s.create(sel, new Shape(n, t, 1)))
                            .sum(new int[] {1})
                            .toFloatArray();
                }
                for (int a = 0; a < n; a++) {
                    Episode e = active.get(a);
                    int tok = sample(lp, a * vocab, vocab, rnd);
                    e.push(tok, (byte) 1, lp[a * vocab + tok]);
                    if (tok == CharTokenizer.EOS) {
                        finish(task, e, true);
                    } else if (tok == CharTokenizer.PAD || tok == CharTokenizer.BOS) {
                        finish(task, e, false);
                    } else if (task.tools() && tok == close) {
                        String call = CharTokenizer.decode(e.tok, e.turnStart, e.len - 1);
                        if (call.startsWith("[")) call = call.substring(1);
                        e.toolCalls++;
                        if (e.toolCalls > task.maxToolCalls()) {
                            finish(task, e, false);
                            continue;
                        }
                        for (int id : CharTokenizer.encode(task.observe(call))) {
                            if (e.len >= maxLen) break;
                            e.push(id, (byte) 0, Float.NaN);
                        }
                        e.turnStart = e.len;
                    }
                    if (!e.done && e.len >= maxLen) finish(task, e, false);
                }
            }
        }
    }

    private static void finish(Task task, Episode e, boolean answered) {
        e.done = true;
        e.reward = answered ? task.score(e.spec, e.finalAnswer()) : 0.0;
    }

    private static int sample(float[] lp, int off, int vocab, SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double acc = 0;
        int best = 0;
        for (int k = 0; k < vocab; k++) {
            double p = Math.exp(lp[off + k]);
            if (lp[off + k] > lp[off + best]) best = k;
            if (p <= 0) continue;
            acc += p;
            if (u < acc) return k;
        }
        // u fell beyond the rounded total (probability ~1e-7): the most probable token, not the
        // last one with any mass (which would be a near-impossible token)
        return best;
    }

    // ------------------------------------------------------------------ teacher forcing

    /**
     * Per-token quantities of a batch of finished episodes by teacher forcing, as flat arrays in
     * rollout order: episode {@code i}'s tokens are its positions {@code 1 … len−1} at
     * {@code offsets[i] … offsets[i+1]−1}.
     *
     * <ul>
     *   <li>{@code logProb}: log π(token | prefix);</li>
     *   <li>{@code entropy}: entropy of the next-token distribution the token was drawn from;</li>
     *   <li>{@code attention}: mean last-layer attention (averaged over heads) that the later
     *       positions of the episode pay to this token (0 for the last token);</li>
     *   <li>{@code hiddenNorm}: L2 norm of the final hidden state at this token;</li>
     *   <li>{@code attentionMatrix}: the token matrix FlowTracer reads — the attention weights
     *       averaged over every layer and head, {@code Ā = (1/(L·H))·Σ_l Σ_h softmax(q kᵀ/√d)};
     *       for episode {@code i} the strict lower triangle over its tokens, row by row (entry
     *       {@code (r, c)}, {@code c < r}: how much token {@code r}, at its own position, attends to
     *       the earlier token {@code c}), starting at {@code matrixOffsets[i]}. Each full row of
     *       {@code Ā} sums to 1 over the causal prefix; the strict triangle leaves out the weight
     *       on {@code <bos>} and on the token itself;</li>
     *   <li>{@code hidden}: the final hidden state (after the last LayerNorm, the input of the
     *       output head) that produced the token's distribution — the state at the position
     *       before the token, as verl-DelTA's {@code lm_head} hook takes it — {@code hiddenWidth}
     *       floats per token, token-major.</li>
     * </ul>
     * The feature arrays are null when the scores were computed without features.
     */
    public record Scores(
            int[] offsets,
            float[] logProb,
            float[] entropy,
            float[] attention,
            float[] hiddenNorm,
            int[] matrixOffsets,
            float[] attentionMatrix,
            int hiddenWidth,
            float[] hidden) {}

    /** Offsets of the token matrices of a batch: episode i has {@code n(n−1)/2} entries, {@code n = len_i − 1}. */
    public static int[] matrixOffsets(List<Episode> eps) {
        int[] off = new int[eps.size() + 1];
        for (int i = 0; i < eps.size(); i++) {
            long n = eps.get(i).len - 1;
            off[i + 1] = Math.toIntExact(off[i] + n * (n - 1) / 2);
        }
        return off;
    }

    /** Rollout-order offsets of a batch: episode i has {@code len_i − 1} tokens. */
    public static int[] offsets(List<Episode> eps) {
        int[] off = new int[eps.size() + 1];
        for (int i = 0; i < eps.size(); i++) off[i + 1] = off[i] + eps.get(i).len - 1;
        return off;
    }

    /** Teacher-forced scores; {@code features} adds attention and hidden-state features. */
    public static Scores score(Weights w, List<Episode> eps, boolean features) {
        int b = eps.size();
        int t = maxLen(eps);
        int[] off = offsets(eps);
        int n = off[b];
        float[] logProb = new float[n], entropy = new float[n];
        float[] att = features ? new float[n] : null, hn = features ? new float[n] : null;
        int d = w.config().width();
        int[] moff = features ? matrixOffsets(eps) : null;
        float[] mat = features ? new float[moff[b]] : null, hid = features ? new float[n * d] : null;
        try (NDManager m = NDManager.newBaseManager(
                LmEngine.get().defaultDevice(), LmEngine.get().getEngineName())) {
            Transformer net = new Transformer(m, w, false);
            Grid g = grid(eps, t);
            NDArray x = m.create(g.ids, new Shape(b, t));
            Transformer.Output out = net.forward(x, features);
            int v = w.config().vocab();
            NDArray lp = out.logProbs();
            float[] tl = lp.mul(m.create(g.targets, new Shape(b, t)).oneHot(v))
                    .sum(new int[] {2})
                    .toFloatArray();
            float[] en = lp.exp().mul(lp).sum(new int[] {2}).neg().toFloatArray();
            float[] a = null, h = null, all = null, hv = null;
            if (features) {
                List<NDArray> layers = out.attention();
                a = layers.get(layers.size() - 1).mean(new int[] {1}).toFloatArray(); // [b, t, t]
                NDArray sum = layers.get(0).mean(new int[] {1});
                for (int l = 1; l < layers.size(); l++)
                    sum = sum.add(layers.get(l).mean(new int[] {1}));
                all = sum.div((float) layers.size()).toFloatArray(); // [b, t, t], layers and heads
                h = out.hidden().square().sum(new int[] {2}).sqrt().toFloatArray(); // [b, t]
                hv = out.hidden().toFloatArray(); // [b, t, d]
            }
            for (int i = 0; i < b; i++) {
                int len = eps.get(i).len;
                for (int p = 1; p < len; p++) {
                    int r = off[i] + p - 1;
                    logProb[r] = tl[i * t + p - 1];
                    entropy[r] = en[i * t + p - 1];
                    if (features) {
                        double s = 0;
                        for (int q = p + 1; q < len; q++) s += a[(i * t + q) * t + p];
                        att[r] = len - 1 - p > 0 ? (float) (s / (len - 1 - p)) : 0f;
                        hn[r] = h[i * t + p];
                        // the state at position p-1 produced this token's distribution
                        System.arraycopy(hv, (i * t + p - 1) * d, hid, r * d, d);
                        // row of token p-1 (position p) over the earlier tokens (positions 1 … p-1)
                        int row = moff[i] + (p - 1) * (p - 2) / 2;
                        for (int c = 1; c < p; c++) mat[row + c - 1] = all[(i * t + p) * t + c];
                    }
                }
            }
        }
        return new Scores(off, logProb, entropy, att, hn, moff, mat, features ? d : 0, hid);
    }

    private static int maxLen(List<Episode> eps) {
        int t = 1;
        for (Episode e : eps) t = Math.max(t, e.len);
        return t;
    }

    /** Input ids and next-token targets, {@code [B, T]}; targets PAD past each episode's end. */
    private record Grid(int[] ids, int[] targets) {}

    private static Grid grid(List<Episode> eps, int t) {
        int b = eps.size();
        int[] ids = new int[b * t], tg = new int[b * t];
        for (int i = 0; i < b; i++) {
            Episode e = eps.get(i);
            System.arraycopy(e.tok, 0, ids, i * t, e.len);
            System.arraycopy(e.tok, 1, tg, i * t, e.len - 1);
        }
        return new Grid(ids, tg);
    }

    // ------------------------------------------------------------------ losses

    /** How the per-token PPO loss is reduced to a scalar. */
    public enum Aggregation {
        /** Mean over all policy tokens of the batch. */
        TOKEN_MEAN("token-mean"),
        /** Sum over each sequence's policy tokens, mean over sequences. */
        SEQ_MEAN_TOKEN_SUM("seq-mean-token-sum"),
        /** Mean over each sequence's policy tokens, then mean over sequences. */
        SEQ_MEAN_TOKEN_MEAN("seq-mean-token-mean");

        private final String label;

        Aggregation(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** By label (token-mean, seq-mean-token-sum, seq-mean-token-mean). */
        public static Aggregation of(String s) {
            for (Aggregation a : values()) if (a.label.equals(s) || a.name().equalsIgnoreCase(s)) return a;
            throw new IllegalArgumentException(
                    "unknown loss aggregation '" + s + "' (token-mean, seq-mean-token-sum, seq-mean-token-mean)");
        }
    }

    /** Loss value and statistics of one gradient computation. */
    public record LossInfo(double loss, double clipFraction, double kl) {}

    /**
     * Gradient of the supervised loss (mean negative log-likelihood over the policy tokens) on
     * finished episodes, written into {@code grad}.
     */
    public static LossInfo supervisedGradient(Weights w, List<Episode> eps, float[] grad) {
        int b = eps.size(), t = maxLen(eps);
        float[] mask = new float[b * t];
        for (int i = 0; i < b; i++) {
            Episode e = eps.get(i);
            for (int p = 1; p < e.len; p++) if (e.role[p] == 1) mask[i * t + p - 1] = 1f;
        }
        try (NDManager m = NDManager.newBaseManager(
                LmEngine.get().defaultDevice(), LmEngine.get().getEngineName())) {
            Transformer net = new Transformer(m, w, true);
            Grid g = grid(eps, t);
            float loss;
            try (GradientCollector gc = LmEngine.get().newGradientCollector()) {
                NDArray x = m.create(g.ids, new Shape(b, t));
                NDArray lp = net.forward(x, false).logProbs();
                NDArray tl = lp.mul(m.create(g.targets, new Shape(b, t))
                                .oneHot(w.config().vocab()))
                        .sum(new int[] {2});
                NDArray mk = m.create(mask, new Shape(b, t));
                NDArray l = tl.mul(mk).sum().neg().div(Math.max(1f, sum(mask)));
                gc.backward(l);
                loss = l.getFloat();
            }
            net.gradient(grad);
            return new LossInfo(loss, 0, 0);
        }
    }

    /**
     * Gradient of the PPO-clip loss (Schulman et al., "Proximal Policy Optimization
     * Algorithms", 2017) with an optional KL penalty to a reference policy (the k3 estimator
     * {@code exp(ref−logp) − (ref−logp) − 1}, as in GRPO), written into {@code grad}. All
     * per-token inputs are in rollout order ({@link #offsets}); only policy tokens count.
     *
     * @param advantages per token
     * @param oldLogProb log-probs of the sampling policy
     * @param refLogProb reference log-probs (null when {@code klCoef} is 0)
     * @param lossWeights per-token loss weights (null: 1)
     * @param clipScales per-token multipliers of the clip range (null: 1)
     */
    public static LossInfo ppoGradient(
            Weights w,
            List<Episode> eps,
            float[] advantages,
            float[] oldLogProb,
            float[] refLogProb,
            float[] lossWeights,
            float[] clipScales,
            double clipEps,
            double klCoef,
            Aggregation agg,
            float[] grad) {
        int b = eps.size(), t = maxLen(eps);
        int[] off = offsets(eps);
        float[] mask = new float[b * t], adv = new float[b * t], old = new float[b * t], ref = new float[b * t];
        float[] lo = new float[b * t], hi = new float[b * t];
        float[] seqNorm = new float[b * t];
        float[] policyMask = new float[b * t];
        int policyTokens = 0;
        for (int i = 0; i < b; i++) {
            Episode e = eps.get(i);
            int count = 0;
            for (int p = 1; p < e.len; p++) if (e.role[p] == 1) count++;
            for (int p = 1; p < e.len; p++) {
                int r = off[i] + p - 1, c = i * t + p - 1;
                double cs = clipScales == null ? 1.0 : clipScales[r];
                lo[c] = (float) (1 - clipEps * cs);
                hi[c] = (float) (1 + clipEps * cs);
                old[c] = oldLogProb[r];
                ref[c] = refLogProb == null ? 0f : refLogProb[r];
                if (e.role[p] != 1) continue;
                float wt = lossWeights == null ? 1f : lossWeights[r];
                policyMask[c] = 1f;
                mask[c] = wt;
                adv[c] = advantages[r];
                policyTokens++;
                seqNorm[c] = switch (agg) {
                    case TOKEN_MEAN -> 1f;
                    case SEQ_MEAN_TOKEN_SUM -> 1f / b;
                    case SEQ_MEAN_TOKEN_MEAN -> 1f / (b * (float) count);
                };
            }
        }
        if (agg == Aggregation.TOKEN_MEAN) {
            float s = 1f / Math.max(1, policyTokens);
            for (int k = 0; k < seqNorm.length; k++) if (seqNorm[k] != 0) seqNorm[k] = s;
        }
        try (NDManager m = NDManager.newBaseManager(
                LmEngine.get().defaultDevice(), LmEngine.get().getEngineName())) {
            Transformer net = new Transformer(m, w, true);
            Grid g = grid(eps, t);
            Shape bt = new Shape(b, t);
            float loss, clipFrac, kl;
            try (GradientCollector gc = LmEngine.get().newGradientCollector()) {
                NDArray x = m.create(g.ids, bt);
                NDArray lp = net.forward(x, false).logProbs();
                NDArray tl = lp.mul(m.create(g.targets, bt).oneHot(w.config().vocab()))
                        .sum(new int[] {2});
                NDArray a = m.create(adv, bt);
                // log-ratio only on policy tokens (0 elsewhere, so a context token whose old
                // log-prob was tiny cannot overflow exp and turn the masked-out term into
                // inf·0 = NaN), clamped to [−20, 20] as verl does before exp
                NDArray isPolicy = m.create(policyMask, bt);
                NDArray logRatio = tl.sub(m.create(old, bt)).mul(isPolicy).clip(-20f, 20f);
                NDArray ratio = logRatio.exp();
                NDArray clipped = ratio.maximum(m.create(lo, bt)).minimum(m.create(hi, bt));
                NDArray surrogate = ratio.mul(a).minimum(clipped.mul(a));
                NDArray per = surrogate.neg();
                NDArray klTok = null;
                if (klCoef != 0) {
                    NDArray d = m.create(ref, bt).sub(tl).mul(isPolicy).clip(-20f, 20f);
                    klTok = d.exp().sub(d).sub(1f);
                    per = per.add(klTok.mul((float) klCoef));
                }
                NDArray weight = m.create(mask, bt).mul(m.create(seqNorm, bt));
                NDArray l = per.mul(weight).sum();
                gc.backward(l);
                loss = l.getFloat();
                float[] rf = ratio.toFloatArray();
                int clippedCount = 0;
                for (int k = 0; k < rf.length; k++)
                    if (mask[k] != 0 && (rf[k] < lo[k] || rf[k] > hi[k])) clippedCount++;
                clipFrac = clippedCount / (float) Math.max(1, policyTokens);
                kl = klTok == null ? 0f : klTok.mul(m.create(mask, bt)).sum().getFloat() / Math.max(1, policyTokens);
            }
            net.gradient(grad);
            return new LossInfo(loss, clipFrac, kl);
        }
    }

    private static float sum(float[] a) {
        float s = 0;
        for (float x : a) s += x;
        return s;
    }
}
