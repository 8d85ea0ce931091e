package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyTest {
    private static final ModelConfig TINY = ModelConfig.tiny();

    private static List<Episode> demos(Task task, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Episode> eps = new java.util.ArrayList<>();
        for (int k = 0; k < n; k++) eps.add(Episode.demonstration(k, task.sample(r), TINY.maxLen()));
        return eps;
    }

    @Test
    void gradientsReachEveryTensorAndMatchFiniteDifferences() {
        Weights w = Weights.init(TINY, 5);
        Task task = Task.named("tool", 2);
        List<Episode> eps = demos(task, 6, 1);
        float[] g = new float[w.size()];
        double loss = Policy.supervisedGradient(w, eps, g).loss();
        assertTrue(loss > 2 && loss < 6, "initial nll near log V, got " + loss);
        for (Weights.Tensor t : w.tensors()) {
            double s = 0;
            for (int k = 0; k < t.size(); k++) s += Math.abs(g[t.offset() + k]);
            assertTrue(s > 0, "no gradient reached " + t.name());
        }
        // central differences on the 5 coordinates with the largest gradient
        Integer[] idx = new Integer[g.length];
        for (int k = 0; k < g.length; k++) idx[k] = k;
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(Math.abs(g[b]), Math.abs(g[a])));
        float[] scratch = new float[w.size()];
        for (int j = 0; j < 5; j++) {
            int k = idx[j];
            float orig = w.data()[k];
            double h = 1e-2;
            w.data()[k] = (float) (orig + h);
            double up = Policy.supervisedGradient(w, eps, scratch).loss();
            w.data()[k] = (float) (orig - h);
            double down = Policy.supervisedGradient(w, eps, scratch).loss();
            w.data()[k] = orig;
            double numeric = (up - down) / (2 * h);
            assertEquals(g[k], numeric, 0.05 * Math.abs(g[k]) + 1e-3, "coordinate " + k);
        }
    }

    @Test
    void sampledLogProbsEqualTeacherForcedRecomputation() {
        Weights w = Weights.init(TINY, 9);
        Task task = Task.named("tool", 1);
        List<Episode> eps = TinyModel.fresh(task, 3, 4, 2, TINY.maxLen());
        Policy.generate(w, task, eps, new SplittableRandom(4));
        Policy.Scores s = Policy.score(w, eps, true);
        int checked = 0;
        for (int i = 0; i < eps.size(); i++) {
            Episode e = eps.get(i);
            assertTrue(e.done);
            for (int p = 1; p < e.length(); p++) {
                if (!e.isPolicy(p)) continue;
                assertEquals(
                        e.sampledLogProb(p),
                        s.logProb()[s.offsets()[i] + p - 1],
                        1e-4,
                        "episode " + i + " position " + p);
                checked++;
            }
        }
        assertTrue(checked > 20, "policy tokens checked: " + checked);
        for (int k = 0; k < s.entropy().length; k++) {
            assertTrue(s.entropy()[k] >= -1e-5 && s.entropy()[k] <= Math.log(TINY.vocab()) + 1e-4);
        }
    }

    @Test
    void ppoLossAggregations() {
        Weights w = Weights.init(TINY, 3);
        Task task = Task.named("reversal", 3);
        List<Episode> eps = demos(task, 4, 2);
        eps.set(1, Episode.demonstration(1, new Task.Problem("r:abcdef=", "fedcba", List.of("fedcba")), TINY.maxLen()));
        Policy.Scores s = Policy.score(w, eps, false);
        int n = s.offsets()[eps.size()];
        float[] adv = new float[n];
        java.util.Arrays.fill(adv, 1f);
        float[] g = new float[w.size()];
        // ratio = 1 everywhere, advantage 1: per-token loss is -1 on policy tokens
        int policy = 0;
        for (Episode e : eps) for (int p = 1; p < e.length(); p++) if (e.isPolicy(p)) policy++;
        double tm = Policy.ppoGradient(
                        w, eps, adv, s.logProb(), null, null, null, 0.2, 0, Policy.Aggregation.TOKEN_MEAN, g)
                .loss();
        double sts = Policy.ppoGradient(
                        w, eps, adv, s.logProb(), null, null, null, 0.2, 0, Policy.Aggregation.SEQ_MEAN_TOKEN_SUM, g)
                .loss();
        double stm = Policy.ppoGradient(
                        w, eps, adv, s.logProb(), null, null, null, 0.2, 0, Policy.Aggregation.SEQ_MEAN_TOKEN_MEAN, g)
                .loss();
        assertEquals(-1.0, tm, 1e-4);
        assertEquals(-policy / (double) eps.size(), sts, 1e-4);
        assertEquals(-1.0, stm, 1e-4);
        // KL to itself is 0; clip fraction 0 at ratio 1
        Policy.LossInfo kl = Policy.ppoGradient(
                w, eps, adv, s.logProb(), s.logProb(), null, null, 0.2, 0.5, Policy.Aggregation.TOKEN_MEAN, g);
        assertEquals(0.0, kl.kl(), 1e-5);
        assertEquals(0.0, kl.clipFraction());
    }

    @Test
    void adamSkipsANonFiniteGradient() {
        Adam a = new Adam(3, 1.0);
        float[] w = {1f, 2f, 3f};
        double n = a.step(w, new float[] {0.1f, Float.NaN, 0.2f}, 1e-2);
        assertTrue(Double.isNaN(n));
        assertArrayEquals(new float[] {1f, 2f, 3f}, w, "weights untouched");
        a.step(w, new float[] {1f, 1f, 1f}, 1e-2);
        assertEquals(1f - 1e-2f, w[0], 1e-6, "the next finite step is Adam's first (moments not poisoned)");
    }

    @Test
    void checkpointsRoundTrip(@TempDir Path dir) throws Exception {
        Weights w = Weights.init(TINY, 1);
        Path f = dir.resolve("m.bin");
        w.save(f);
        Weights back = Weights.load(f);
        assertEquals(w.config(), back.config());
        assertArrayEquals(w.data(), back.data());
    }
}
