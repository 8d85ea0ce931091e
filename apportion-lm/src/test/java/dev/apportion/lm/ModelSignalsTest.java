package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The model-internal estimators (FlowTracer, DelTA, AEM, implicit token reward) run on lm
 * rollouts, and the signal that reaches each one equals what the model computed, checked
 * against an independent forward pass of the tiny model.
 */
class ModelSignalsTest {
    /** Two layers, so the aggregation over layers matters. */
    private static final ModelConfig TWO = new ModelConfig(CharTokenizer.vocabSize(), 2, 32, 2, 40);

    private static final EstimatorRegistry REG = EstimatorRegistry.global();

    /** Sampled tool-task episodes (several turns) with one success in each group of four (an unbalanced group, so AEM modulates). */
    private static List<Episode> batch(Weights w, long seed) {
        Task task = Task.named("tool", 1);
        List<Episode> eps = TinyModel.fresh(task, 2, 4, seed, w.config().maxLen());
        Policy.generate(w, task, eps, new SplittableRandom(seed));
        for (int i = 0; i < eps.size(); i++) eps.get(i).reward = i % 4 == 0 ? 1 : 0;
        return eps;
    }

    /** Independent forward pass: per-layer attention [b, heads, t, t], hidden [b, t, d], log-probs [b, t, V]. */
    private record Forward(int t, List<float[]> attention, float[] hidden, float[] logProbs) {}

    private static Forward forward(Weights w, List<Episode> eps) {
        int b = eps.size(), t = 1;
        for (Episode e : eps) t = Math.max(t, e.length());
        int[] ids = new int[b * t];
        for (int i = 0; i < b; i++)
            for (int p = 0; p < eps.get(i).length(); p++)
                ids[i * t + p] = eps.get(i).token(p);
        try (NDManager m = NDManager.newBaseManager(
                LmEngine.get().defaultDevice(), LmEngine.get().getEngineName())) {
            Transformer.Output out = new Transformer(m, w, false).forward(m.create(ids, new Shape(b, t)), true);
            List<float[]> att = new java.util.ArrayList<>();
            for (NDArray a : out.attention()) att.add(a.toFloatArray());
            return new Forward(
                    t, att, out.hidden().toFloatArray(), out.logProbs().toFloatArray());
        }
    }

    @Test
    void flowTracerReadsAttentionAveragedOverLayersAndHeads() {
        Weights w = Weights.init(TWO, 11);
        List<Episode> eps = batch(w, 3);
        Policy.Scores s = Policy.score(w, eps, true);
        Rollouts b = Recorder.record("g", eps, s, s, null);
        Forward f = forward(w, eps);
        int t = f.t(), heads = TWO.heads(), layers = TWO.layers();
        float[] mat = b.tokenMatrix(Recorder.ATTENTION);
        int[] off = b.tokenMatrixOffsets();
        int checked = 0;
        for (int i = 0; i < eps.size(); i++) {
            int len = eps.get(i).length();
            assertEquals(len - 1, b.tokenEnd(i) - b.tokenStart(i));
            for (int q = 1; q < len; q++) {
                // the full row of position q, averaged over layers and heads, by hand
                double[] row = new double[t];
                for (int l = 0; l < layers; l++)
                    for (int h = 0; h < heads; h++)
                        for (int k = 0; k < t; k++)
                            row[k] += f.attention().get(l)[((i * heads + h) * t + q) * t + k] / (layers * heads);
                double total = 0;
                for (int k = 0; k <= q; k++) total += row[k];
                assertEquals(1.0, total, 1e-5, "row sums to 1 over the causal prefix");
                for (int k = q + 1; k < t; k++) assertEquals(0.0, row[k], 1e-6, "causal");
                int r = q - 1; // token index of position q
                for (int c = 0; c < r; c++) {
                    assertEquals(row[c + 1], mat[off[i] + r * (r - 1) / 2 + c], 1e-6, "entry (" + r + "," + c + ")");
                    checked++;
                }
            }
        }
        assertTrue(checked > 100, "entries checked: " + checked);
        // the estimator runs on it and the flow reshapes credit within a trajectory
        Estimator ft = REG.get("flowtracer");
        Credit c = ft.assign(b, Params.defaults(ft.descriptor()));
        Credit base = REG.get("grpo").assign(b, Params.defaults(REG.get("grpo").descriptor()));
        boolean reshaped = false;
        for (int k = 0; k < b.tokenCount(); k++) {
            assertTrue(Float.isFinite(c.advantages()[k]));
            if (b.mask()[k] == 1 && Math.abs(c.advantages()[k] - base.advantages()[k]) > 1e-4) reshaped = true;
        }
        assertTrue(reshaped, "attention flow changes the GRPO advantage on some token");
    }

    @Test
    void deltaReadsTheHiddenStateThatProducedEachToken() {
        Weights w = Weights.init(TWO, 12);
        List<Episode> eps = batch(w, 4);
        Policy.Scores s = Policy.score(w, eps, true);
        Rollouts b = Recorder.record("g", eps, s, s, null);
        Forward f = forward(w, eps);
        int t = f.t(), d = TWO.width(), v = TWO.vocab();
        assertEquals(d, b.tokenVectorWidth(Recorder.HIDDEN));
        float[] hid = b.tokenVector(Recorder.HIDDEN);
        float[] old = b.tokenSignal(Rollouts.OLD_LOGPROB);
        float[] emb = w.data(); // tok[V, d] is the first tensor (tied output head)
        int tokOff = w.tensors().get(0).offset();
        assertEquals("tok", w.tensors().get(0).name());
        for (int i = 0; i < eps.size(); i++) {
            Episode e = eps.get(i);
            for (int p = 1; p < e.length(); p++) {
                int k = b.tokenStart(i) + p - 1;
                for (int j = 0; j < d; j++)
                    assertEquals(f.hidden()[(i * t + p - 1) * d + j], hid[k * d + j], 1e-5, "hidden");
                // the recorded state, through the tied head, gives the token's recorded log-prob
                double[] logits = new double[v];
                double mx = Double.NEGATIVE_INFINITY;
                for (int u = 0; u < v; u++) {
                    double z = 0;
                    for (int j = 0; j < d; j++) z += hid[k * d + j] * emb[tokOff + u * d + j];
                    logits[u] = z;
                    mx = Math.max(mx, z);
                }
                double lse = 0;
                for (int u = 0; u < v; u++) lse += Math.exp(logits[u] - mx);
                double lp = logits[e.token(p)] - mx - Math.log(lse);
                assertEquals(lp, old[k], 2e-4, "episode " + i + " position " + p);
                if (e.isPolicy(p)) assertEquals(e.sampledLogProb(p), old[k], 2e-4, "sampling-time log-prob");
            }
        }
        Estimator delta = REG.get("delta");
        Credit c = delta.assign(b, Params.defaults(delta.descriptor()));
        Credit base = REG.get("grpo").assign(b, Params.defaults(REG.get("grpo").descriptor()));
        boolean reweighted = false;
        for (int k = 0; k < b.tokenCount(); k++) {
            assertTrue(Float.isFinite(c.advantages()[k]));
            if (b.mask()[k] == 1 && base.advantages()[k] != 0) {
                double ratio = c.advantages()[k] / base.advantages()[k];
                assertTrue(ratio > 0, "DelTA keeps the sign");
                if (Math.abs(ratio - 1) > 1e-3) reweighted = true;
            }
        }
        assertTrue(reweighted, "hidden states reweight the tokens");
    }

    @Test
    void aemSeesTheSamplingPolicysLogProbsAndEntropy() {
        Weights w = Weights.init(TWO, 13);
        List<Episode> eps = batch(w, 5);
        Policy.Scores s = Policy.score(w, eps, true);
        Rollouts b = Recorder.record("g", eps, s, s, null);
        Forward f = forward(w, eps);
        int t = f.t(), v = TWO.vocab();
        float[] ent = b.tokenSignal(Rollouts.ENTROPY);
        for (int i = 0; i < eps.size(); i++) {
            for (int p = 1; p < eps.get(i).length(); p++) {
                double h = 0;
                for (int u = 0; u < v; u++) {
                    double lp = f.logProbs()[((i * t) + p - 1) * v + u];
                    h -= Math.exp(lp) * lp;
                }
                assertEquals(h, ent[b.tokenStart(i) + p - 1], 1e-4, "entropy");
            }
        }
        // AEM on the recorded batch equals AEM on a batch built by hand from the log-probs the
        // generator saw when it sampled each token (context tokens: the recorded value)
        RolloutsBuilder hand = Rollouts.builder();
        float[] old = b.tokenSignal(Rollouts.OLD_LOGPROB);
        for (int i = 0; i < eps.size(); i++) {
            Episode e = eps.get(i);
            hand.trajectory(b.groupKey(b.trajectoryGroup(i)), "h" + i);
            hand.outcome(e.reward());
            for (int sp = b.spanStart(i); sp < b.spanEnd(i); sp++) {
                int n = b.spanTokenEnd(sp) - b.spanTokenStart(sp);
                if (b.spanRole(sp) == Role.POLICY) hand.span(Role.POLICY, n, Double.NaN, null, null);
                else hand.span(Role.CONTEXT, n);
            }
            float[] lp = new float[e.length() - 1];
            for (int p = 1; p < e.length(); p++)
                lp[p - 1] = e.isPolicy(p) ? e.sampledLogProb(p) : old[b.tokenStart(i) + p - 1];
            hand.tokenSignal(Rollouts.OLD_LOGPROB, lp);
        }
        Estimator aem = REG.get("aem");
        Params params = Params.defaults(aem.descriptor());
        float[] got = aem.assign(b, params).advantages();
        float[] want = aem.assign(hand.build(), params).advantages();
        float[] grpo = REG.get("grpo")
                .assign(b, Params.defaults(REG.get("grpo").descriptor()))
                .advantages();
        boolean modulated = false;
        for (int k = 0; k < got.length; k++) {
            assertEquals(want[k], got[k], 1e-4, "token " + k);
            if (Math.abs(got[k] - grpo[k]) > 1e-4) modulated = true;
        }
        assertTrue(modulated, "surprisal modulates the GRPO advantage");
    }

    @Test
    void implicitTokenRewardUsesTheReferenceModelsLogProbs() {
        Weights w = Weights.init(TWO, 14);
        Weights ref = Weights.init(TWO, 15);
        List<Episode> eps = batch(w, 6);
        Policy.Scores cur = Policy.score(w, eps, true);
        Policy.Scores rs = Policy.score(ref, eps, false);
        Rollouts b = Recorder.record("g", eps, cur, rs, null);
        Forward fr = forward(ref, eps);
        int t = fr.t(), v = TWO.vocab();
        float[] refLp = b.tokenSignal(Rollouts.REF_LOGPROB), lp = b.tokenSignal(Rollouts.LOGPROB);
        Estimator itr = REG.get("implicit_token_reward");
        Params params = Params.defaults(itr.descriptor());
        double beta = params.getDouble("beta");
        float[] c = itr.assign(b, params).advantages();
        for (int i = 0; i < eps.size(); i++) {
            Episode e = eps.get(i);
            for (int p = 1; p < e.length(); p++) {
                int k = b.tokenStart(i) + p - 1;
                double want = fr.logProbs()[((i * t) + p - 1) * v + e.token(p)];
                assertEquals(want, refLp[k], 1e-4, "reference log-prob, episode " + i + " position " + p);
                assertNotEquals(lp[k], refLp[k], "two different models");
                double credit = e.isPolicy(p) ? beta * (lp[k] - refLp[k]) : 0.0;
                assertEquals(credit, c[k], 1e-5, "credit at episode " + i + " position " + p);
            }
        }
    }

    @Test
    void everyModelInternalEstimatorTrainsInTheLoop() {
        Task task = Task.named("tool", 1);
        for (String id : List.of("flowtracer", "delta", "aem", "implicit_token_reward")) {
            Weights w = Weights.init(TWO, 21);
            Weights ref = w.copy();
            ref.data()[0] += 0.01f; // a reference that differs, so the implicit reward is not 0
            Trainer.RlConfig cfg =
                    new Trainer.RlConfig(id, null, Map.of(), 2, 3, 1e-3, 0.2, 1, Policy.Aggregation.TOKEN_MEAN, 0.0, 2);
            Trainer tr = new Trainer(task, w, ref, cfg, REG, 1);
            float before = w.data()[5];
            Trainer.StepStats st = tr.step();
            assertEquals(6, st.samples(), id);
            assertTrue(Double.isFinite(st.loss()), id);
            assertTrue(st.creditSeconds() >= 0, id);
            assertTrue(before == w.data()[5] || Float.isFinite(w.data()[5]), id);
        }
    }
}
