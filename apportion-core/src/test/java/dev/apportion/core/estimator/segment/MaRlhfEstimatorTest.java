package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MaRlhfEstimatorTest extends EstimatorContract {
    private static final MaRlhfEstimator EST = new MaRlhfEstimator();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        out.add(params(Map.of("ngram", 1, "value_function", "position", "gamma", 0.99)));
        out.add(params(Map.of("ngram", 3, "value_function", "unit", "reference_padding", true)));
        return out;
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /**
     * methods-reasoning.md §8: values [0.2, 0.4, 0.5, 0.7], rewards [-0.01, -0.02, 0, -0.01], a terminal
     * token with value 0.9 and reward 1.0 (the score), n = 2, equal weights, gamma 1, lambda 0.95.
     */
    static Rollouts workedExample(int trailingContext) {
        int n = 5 + trailingContext;
        float[] value = new float[n];
        float[] reward = new float[n];
        System.arraycopy(new float[] {0.2f, 0.4f, 0.5f, 0.7f, 0.9f}, 0, value, 0, 5);
        System.arraycopy(new float[] {-0.01f, -0.02f, 0f, -0.01f, 0f}, 0, reward, 0, 5);
        return Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1.0)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 5)
                .span(Role.CONTEXT, trailingContext)
                .tokenSignal(Rollouts.VALUE, concat(new float[2], value))
                .tokenSignal(Rollouts.REWARD, concat(new float[2], reward))
                .build();
    }

    static float[] concat(float[] a, float[] b) {
        float[] out = new float[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static float[] slice(float[] a, int from, int to) {
        float[] out = new float[to - from];
        System.arraycopy(a, from, out, 0, out.length);
        return out;
    }

    /**
     * The one-walk {@code equal} pooling gives the general path's macros bit for bit: random responses with
     * interior and trailing context, every n-gram from 1 to 6, both DeepSpeed-Chat quirks, with and without
     * the KL term and token rewards.
     */
    @Test
    void equalWalkMatchesTheGeneralPath() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(2410);
        for (int round = 0; round < 60; round++) {
            var b = Rollouts.builder();
            int trajectories = 4;
            for (int i = 0; i < trajectories; i++) {
                b.trajectory("g", "t" + i);
                if (r.nextInt(4) > 0) b.outcome(r.nextDouble(-4, 4));
                int len = 0;
                int spans = 1 + r.nextInt(6);
                for (int s = 0; s < spans; s++) {
                    int l = r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(9);
                    b.span(r.nextInt(3) == 0 ? Role.CONTEXT : Role.POLICY, l);
                    len += l;
                }
                if (len == 0) {
                    b.span(Role.POLICY, 1);
                    len = 1;
                }
                for (String sig : List.of(Rollouts.VALUE, Rollouts.LOGPROB, Rollouts.REF_LOGPROB, Rollouts.REWARD)) {
                    float[] x = new float[len];
                    for (int k = 0; k < len; k++) x[k] = r.nextInt(8) == 0 ? -0.0f : (float) r.nextDouble(-1, 1);
                    b.tokenSignal(sig, x);
                }
            }
            Rollouts batch = b.build();
            for (int ngram = 1; ngram <= 6; ngram++) {
                for (int variant = 0; variant < 8; variant++) {
                    Params p = params(Map.of(
                            "ngram",
                            ngram,
                            "reference_padding",
                            (variant & 1) != 0,
                            "empty_terminal_macro",
                            (variant & 2) != 0,
                            "kl_ctl",
                            (variant & 4) != 0 ? 0.0 : 0.05));
                    MaRlhfEstimator.Settings cfg = MaRlhfEstimator.Settings.of(p);
                    MaRlhfEstimator.Inputs in = MaRlhfEstimator.Inputs.of(batch, cfg);
                    for (int i = 0; i < trajectories; i++) {
                        int w = batch.tokenEnd(i) - batch.tokenStart(i);
                        MaRlhfEstimator.Scratch general = new MaRlhfEstimator.Scratch(w, ngram);
                        MaRlhfEstimator.Scratch walk = new MaRlhfEstimator.Scratch(w, ngram);
                        int nb = MaRlhfEstimator.macrosInto(batch, in, cfg, i, general);
                        String where =
                                "round " + round + " ngram " + ngram + " variant " + variant + " trajectory " + i;
                        assertEquals(nb, MaRlhfEstimator.macrosEqual(batch, in, cfg, i, walk), where);
                        if (nb < 0) continue;
                        assertEquals(general.regionStart, walk.regionStart, where);
                        assertEquals(general.regionEnd, walk.regionEnd, where);
                        for (int j = 0; j < nb; j++) {
                            String at = where + " macro " + j;
                            assertEquals(general.bounds[j], walk.bounds[j], at);
                            assertEquals(general.lengths[j], walk.lengths[j], at);
                            assertEquals(bits(general.mv[j]), bits(walk.mv[j]), at);
                            assertEquals(bits(general.mr[j]), bits(walk.mr[j]), at);
                            assertEquals(bits(general.ma[j]), bits(walk.ma[j]), at);
                            assertEquals(bits(general.mret[j]), bits(walk.mret[j]), at);
                            int a = walk.bounds[j];
                            int policy = 0;
                            for (int t = a; t < Math.min(a + walk.lengths[j], walk.regionEnd); t++)
                                policy += batch.mask()[t];
                            assertEquals(policy, walk.policy[j], at);
                        }
                    }
                }
            }
        }
    }

    private static long bits(double x) {
        return Double.doubleToRawLongBits(x);
    }

    @Test
    void workedExample() {
        Rollouts b = workedExample(0);
        Credit c = EST.assign(b, params(Map.of("kl_ctl", 0.0, "ngram", 2)));
        // macros [0.3, 0.6, 0.9] / [-0.015, -0.005, 1.0] → A = [0.6555, 0.39, 0.1], returns [0.9555, 0.99, 1.0]
        assertArrayEquals(new float[] {0, 0, 0.6555f, 0.6555f, 0.39f, 0.39f, 0.1f}, c.advantages(), 1e-6f);
        assertArrayEquals(new float[] {0, 0, 0.9555f, 0.9555f, 0.99f, 0.99f, 1.0f}, c.returns(), 1e-6f);
        assertEquals(3.0, c.diagnostics().get("macro_actions"));
    }

    @Test
    void referenceInsertsAnEmptyMacroWhenTheLastNgramClosesAtTheEnd() {
        Rollouts b = workedExample(0);
        Credit c = EST.assign(b, Params.resolve(EST.descriptor(), "reference", Map.of("kl_ctl", 0.0, "ngram", 2)));
        // boundaries [0, 2, 4, 4]: an empty macro (V = R = 0) sits before the terminal one
        double a3 = 1.0 - 0.9;
        double a2 = 0.9 + 0.95 * a3;
        double a1 = -0.005 - 0.6 + 0.95 * a2;
        double a0 = -0.015 + 0.6 - 0.3 + 0.95 * a1;
        assertArrayEquals(
                new float[] {0, 0, (float) a0, (float) a0, (float) a1, (float) a1, (float) a3}, c.advantages(), 1e-6f);
        assertEquals(4.0, c.diagnostics().get("macro_actions"));
    }

    @Test
    void referencePaddingDropsTheScore() {
        Rollouts padded = workedExample(3);
        Params ref = Params.resolve(EST.descriptor(), "reference", Map.of("kl_ctl", 0.0, "ngram", 2));
        Credit c = EST.assign(padded, ref);
        // response = 5 policy + 3 padding; the score lands on the first padding position and is skipped
        MaRlhfEstimator.Settings cfg = MaRlhfEstimator.Settings.of(ref);
        MaRlhfEstimator.Macros m = MaRlhfEstimator.macros(padded, MaRlhfEstimator.Inputs.of(padded, cfg), cfg, 0);
        assertArrayEquals(new int[] {2, 4, 6, 9}, m.boundaries());
        assertArrayEquals(new int[] {2, 2, 3, 1}, m.lengths());
        assertEquals(1.0, m.tokenRewards()[5], 1e-9, "the score sits on the first padding position");
        assertArrayEquals(new double[] {0.3, 0.6, 0.9, 0.0}, m.values(), 1e-7);
        assertArrayEquals(new double[] {-0.015, -0.005, 0.0, 0.0}, m.rewards(), 1e-7);
        for (int t = 7; t < 10; t++) assertEquals(0f, c.advantages()[t], 0f, "padding gets no credit");
        // the corrected default ignores trailing context: same credit as without padding
        Credit fixed = EST.assign(padded, params(Map.of("kl_ctl", 0.0, "ngram", 2)));
        Credit plain = EST.assign(workedExample(0), params(Map.of("kl_ctl", 0.0, "ngram", 2)));
        assertArrayEquals(plain.advantages(), slice(fixed.advantages(), 0, 7), 0f);
    }

    @Test
    void interiorContextTokensAreSkippedWhenPooling() {
        // policy [a, b] context [x] policy [c, d]: with ngram 2 the macros are {a, b}, {x, c} and the terminal {d}
        Rollouts b = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(0.0)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, new float[] {1f, 3f, 100f, 5f, 7f})
                .build();
        Params p = params(Map.of("kl_ctl", 0.0, "ngram", 2));
        MaRlhfEstimator.Settings cfg = MaRlhfEstimator.Settings.of(p);
        MaRlhfEstimator.Macros m = MaRlhfEstimator.macros(b, MaRlhfEstimator.Inputs.of(b, cfg), cfg, 0);
        // walk: count hits 2 after token 1 → boundary 2; token 2 is context; tokens 3 → count 1; terminal 4
        assertArrayEquals(new int[] {0, 2, 4}, m.boundaries());
        assertArrayEquals(new double[] {2.0, 5.0, 7.0}, m.values(), 1e-9, "the context token's value 100 is skipped");
        Credit c = EST.assign(b, p);
        assertEquals(0f, c.advantages()[2], 0f);
    }

    @Test
    void positionWeightsAndClip() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(10.0)
                .span(Role.POLICY, 4)
                .tokenSignal(Rollouts.VALUE, new float[] {1f, 2f, 4f, 0f})
                .build();
        Params p = params(Map.of("kl_ctl", 0.0, "ngram", 3, "value_function", "position"));
        MaRlhfEstimator.Settings cfg = MaRlhfEstimator.Settings.of(p);
        MaRlhfEstimator.Macros m = MaRlhfEstimator.macros(b, MaRlhfEstimator.Inputs.of(b, cfg), cfg, 0);
        // weights (1, 1/2, 1/3) / (11/6)
        assertEquals((1 + 1.0 + 4.0 / 3) * 6 / 11, m.values()[0], 1e-12);
        assertEquals(2.5, m.rewards()[1], 1e-12, "the score is clipped to 2.5");
    }

    @Test
    void refusesMissingCritic() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b, params(Map.of("kl_ctl", 0.0))));
        assertTrue(e.getMessage().contains("value"), e.getMessage());
    }
}
