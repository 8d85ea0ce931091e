package dev.apportion.core.estimator.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrlTest extends EstimatorContract {
    private static final Prl EST = new Prl();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        out.add(params(Map.of("adv", "orm", "step_len", 3, "eta", 2.0)));
        out.add(params(Map.of("adv", "orm", "step_split", "n", "norm_adv_by_std_in_grpo", false)));
        out.add(params(Map.of("adv", "orm", "n", 1, "step_len", 0)));
        return out;
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /** Two responses of 4 tokens after a 1-token prompt, outcomes 1 and 0, log-ratio 0.1 on every token. */
    static Rollouts pair(String[] text) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 2; i++) {
            b.trajectory("q", "r" + i)
                    .outcome(1 - i)
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 4)
                    .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0, -1.0f, -1.0f, -1.0f, -1.0f})
                    .tokenSignal(Rollouts.REF_LOGPROB, new float[] {0, -1.1f, -1.1f, -1.1f, -1.1f});
            if (text != null) b.tokenText(text);
        }
        return b.build();
    }

    /**
     * orm, n > 1, eta 1, step_len 2: a = ±1/(0.7071 + 1e-6)·0.7071; the log-ratio to go from token j is
     * 0.1·(4 − j); step ends j = 1, 3 keep a − 0.3 and a − 0.1, and each step carries its end's value.
     */
    @Test
    void workedExampleOrmLengthSplit() {
        Credit c = EST.assign(pair(null), params(Map.of("adv", "orm", "eta", 1.0, "step_len", 2)));
        double std = Math.sqrt(0.5);
        float a = (float) (0.5 / (std + 1e-6));
        float[] want = {0, a - 0.3f, a - 0.3f, a - 0.1f, a - 0.1f, 0, -a - 0.3f, -a - 0.3f, -a - 0.1f, -a - 0.1f};
        assertArrayEquals(want, c.advantages(), 1e-6f);
        assertArrayEquals(want, c.returns(), 1e-6f);
        float[] v = Prl.tokenRewards(pair(null), params(Map.of("adv", "orm", "eta", 1.0, "step_len", 2)));
        assertArrayEquals(new float[] {0, 0, a - 0.3f, 0, a - 0.1f, 0, 0, -a - 0.3f, 0, -a - 0.1f}, v, 1e-6f);
    }

    /** prm: raw outcome on every token minus its own log-ratio to go, no step mask. */
    @Test
    void prmModeGivesEveryTokenItsOwnValue() {
        Credit c = EST.assign(pair(null), params(Map.of("eta", 1.0)));
        assertArrayEquals(
                new float[] {0, 0.6f, 0.7f, 0.8f, 0.9f, 0, -0.4f, -0.3f, -0.2f, -0.1f}, c.advantages(), 1e-6f);
    }

    /** Newline split: step ends at "\n" tokens and at the last response token. */
    @Test
    void newlineSplitUsesTokenText() {
        String[] text = {"Q", "a", "\n", "b", "c"};
        Credit c = EST.assign(pair(text), params(Map.of("adv", "orm", "eta", 1.0, "step_split", "n")));
        float a = (float) (0.5 / (Math.sqrt(0.5) + 1e-6));
        assertArrayEquals(
                new float[] {0, a - 0.3f, a - 0.3f, a - 0.1f, a - 0.1f},
                java.util.Arrays.copyOf(c.advantages(), 5),
                1e-6f);
    }

    @Test
    void newlineSplitWithoutGroupingIsRefused() {
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> EST.assign(
                        pair(new String[] {"Q", "a", "\n", "b", "c"}),
                        params(Map.of("adv", "orm", "step_split", "nn", "n", 1))));
        assertTrue(e.getMessage().contains("n > 1"), e.getMessage());
    }

    /**
     * The one-pass assign (and the span-sparse row scores) equal the plain formulation on random
     * batches: dense token rewards summed over every token, V for every token, then the backward
     * fill; with and without token rewards, span rewards (some absent), outcomes (some absent) and
     * outcome components, empty spans and trajectories without policy tokens.
     */
    @Test
    void onePassEqualsThePlainFormulationBitForBit() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int trial = 0; trial < 60; trial++) {
            RolloutsBuilder b = Rollouts.builder();
            boolean tokenReward = trial % 3 == 0;
            boolean components = trial % 5 == 1;
            for (int i = 0; i < 6; i++) {
                b.trajectory("g" + (i % 2), "t" + i);
                if (components) {
                    b.outcomeComponent("a", rnd.nextInt(3) - 1.0);
                    if (rnd.nextBoolean()) b.outcomeComponent("b", rnd.nextDouble());
                } else if (rnd.nextInt(4) > 0) {
                    b.outcome(rnd.nextInt(3) == 0 ? -0.0 : rnd.nextDouble(-1, 1));
                }
                int tokens = 0;
                int spans = rnd.nextInt(1, 6);
                for (int k = 0; k < spans; k++) {
                    // mostly short spans, some long enough for the blocked (per-span scratch) path
                    int len = rnd.nextInt(6) == 0 ? rnd.nextInt(64, 140) : rnd.nextInt(0, 5);
                    Role role = trial % 7 == 3 && i == 2 ? Role.CONTEXT : (k % 2 == 0 ? Role.CONTEXT : Role.POLICY);
                    double reward = rnd.nextInt(3) == 0 ? Double.NaN : rnd.nextDouble(-1, 1);
                    b.span(role, len, reward, null, null);
                    tokens += len;
                }
                float[] o = new float[tokens];
                float[] r = new float[tokens];
                float[] tr = new float[tokens];
                for (int t = 0; t < tokens; t++) {
                    o[t] = (float) rnd.nextDouble(-3, 0);
                    r[t] = rnd.nextInt(4) == 0 ? o[t] : (float) rnd.nextDouble(-3, 0);
                    tr[t] = rnd.nextInt(3) == 0 ? (float) rnd.nextDouble(-1, 1) : 0f;
                }
                b.tokenSignal(Rollouts.OLD_LOGPROB, o).tokenSignal(Rollouts.REF_LOGPROB, r);
                if (tokenReward) b.tokenSignal(Rollouts.REWARD, tr);
            }
            Rollouts batch = b.build();
            for (Map<String, ?> v : List.of(
                    Map.of("eta", 3.0),
                    Map.of("adv", "orm", "step_len", 2, "eta", 0.7),
                    Map.of("adv", "orm", "n", 1, "norm_adv_by_std_in_grpo", false))) {
                Params p = params(v);
                float[] want = plainAdvantages(batch, plainTokenRewards(batch, p));
                Credit c = EST.assign(batch, p);
                assertArrayEquals(want, c.advantages(), "trial " + trial + " " + v);
                assertArrayEquals(want, c.returns(), "trial " + trial + " " + v);
                Credit.Buffers buffers = new Credit.Buffers();
                java.util.Arrays.fill(buffers.advantages(batch.tokenCount()), Float.NaN);
                java.util.Arrays.fill(buffers.returns(batch.tokenCount()), Float.NaN);
                Credit viaBuffers = EST.assign(batch, p, dev.apportion.core.credit.Execution.sequential(), buffers);
                assertArrayEquals(want, viaBuffers.advantages(), "buffers " + trial);
                assertArrayEquals(want, viaBuffers.returns(), "buffers " + trial);
                try (dev.apportion.core.credit.Execution two = dev.apportion.core.credit.Execution.splittingAll(2)) {
                    assertArrayEquals(want, EST.assign(batch, p, two).advantages(), "split " + trial);
                }
            }
        }
    }

    /** V as the reference computes it token by token (length split only). */
    private static float[] plainTokenRewards(Rollouts batch, Params params) {
        boolean orm = params.getString("adv").equals("orm");
        double eta = params.getDouble("eta");
        int stepLen = params.getInt("step_len");
        float[] o = batch.tokenSignal(Rollouts.OLD_LOGPROB);
        float[] r = batch.tokenSignal(Rollouts.REF_LOGPROB);
        float[] dense = batch.denseTokenRewards();
        int n = batch.trajectoryCount();
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) s[i] += dense[t];
        }
        double[] q = s.clone();
        if (orm && params.getInt("n") > 1) {
            boolean byStd = params.getBoolean("norm_adv_by_std_in_grpo");
            for (int g = 0; g < batch.groupCount(); g++) {
                int[] m = java.util.Arrays.copyOfRange(
                        batch.groupMembers(), batch.groupMemberStart()[g], batch.groupMemberStart()[g + 1]);
                double mean = 0;
                double std = 1;
                if (m.length > 1) {
                    for (int i : m) mean += s[i];
                    mean /= m.length;
                    double ss = 0;
                    for (int i : m) ss += (s[i] - mean) * (s[i] - mean);
                    std = Math.sqrt(ss / (m.length - 1));
                }
                for (int i : m) q[i] = byStd ? (s[i] - mean) / (std + 1e-6) : s[i] - mean;
            }
        }
        byte[] mask = batch.mask();
        float[] v = new float[batch.tokenCount()];
        for (int i = 0; i < n; i++) {
            int start = -1;
            for (int t = batch.tokenStart(i); t < batch.tokenEnd(i) && start < 0; t++) if (mask[t] == 1) start = t;
            if (start < 0) continue;
            int ones = 0;
            for (int t = start; t < batch.tokenEnd(i); t++) ones += mask[t];
            double togo = 0;
            for (int t = batch.tokenEnd(i) - 1; t >= start; t--) {
                togo += mask[t] == 1 ? (double) o[t] - r[t] : 0.0;
                double x = (mask[t] == 1 ? q[i] : 0.0) - togo / eta;
                if (orm) {
                    int j = t - start;
                    boolean keep = j == ones - 1;
                    if (stepLen <= 0) keep = true;
                    else keep |= (j + 1) % stepLen == 0 && mask[t] == 1;
                    if (!keep) x = 0;
                }
                v[t] = (float) x;
            }
        }
        return v;
    }

    private static float[] plainAdvantages(Rollouts batch, float[] v) {
        byte[] mask = batch.mask();
        float[] adv = new float[batch.tokenCount()];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            float next = 0f;
            for (int t = batch.tokenEnd(i) - 1; t >= batch.tokenStart(i); t--) {
                float w = mask[t] == 1 ? v[t] : 0f;
                if (w != 0f) next = w;
                if (mask[t] == 1) adv[t] = next;
            }
        }
        return adv;
    }
}
