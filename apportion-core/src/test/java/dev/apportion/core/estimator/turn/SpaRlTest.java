package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpaRlTest extends EstimatorContract {
    private final SpaRl est = new SpaRl();
    private static final double TOL = 1e-5;

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        out.add(Params.resolve(
                est.descriptor(), null, Map.of("whiten_rewards", true, "kl_penalty", "mse", "score_dtype", "float32")));
        return out;
    }

    /** Two steps (action, observation, action), scores 0.3 and 0.9, no KL, zero values, gamma = lam = 1. */
    private static Rollouts twoSteps() {
        return Rollouts.builder()
                .trajectory("g", "a")
                .span(Role.POLICY, 1, 0.3, null, null)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1, 0.9, null, null)
                .tokenSignal(Rollouts.LOGPROB, new float[] {-1f, -2f, -1f})
                .tokenSignal(Rollouts.REF_LOGPROB, new float[] {-1.5f, -2f, -0.5f})
                .tokenSignal(Rollouts.VALUE, new float[3])
                .build();
    }

    /**
     * The first step has weight 1 (one step to its right), the last weight 0: rewards = [f16(0.3), 0, 0];
     * A = [0.30005, 0, 0]; whitened over the two action tokens: +-0.7071.
     */
    @Test
    void lastStepHasWeightZeroAndScoresAreHalfPrecision() {
        Rollouts b = twoSteps();
        Params p = Params.resolve(est.descriptor(), null, Map.of("kl_coef", 0.0, "lam", 1.0));
        SpaRl.Components comp = est.components(b, p);
        assertEquals(0.300048828125, comp.rewards()[0], 0.0);
        assertEquals(0.0, comp.rewards()[2], 0.0);
        Credit c = est.assign(b, p);
        assertEquals(0.7071, c.advantages()[0], 1e-4);
        assertEquals(-0.7071, c.advantages()[2], 1e-4);
        assertEquals(0f, c.advantages()[1], 0f);
        assertEquals(0.300048828125, c.returns()[0], 1e-7);
    }

    /** KL penalty -0.2*(lp - ref) on every position, observation included. */
    @Test
    void klPenaltyEverywhere() {
        Rollouts b = twoSteps();
        SpaRl.Components comp = est.components(b, Params.defaults(est.descriptor()));
        assertEquals(-0.1, comp.nonScoreReward()[0], TOL);
        assertEquals(0.0, comp.nonScoreReward()[1], TOL);
        assertEquals(0.1, comp.nonScoreReward()[2], TOL);
        assertEquals(-0.1 + 0.300048828125, comp.rewards()[0], TOL);
        SpaRl.Components abs = est.components(b, Params.resolve(est.descriptor(), null, Map.of("kl_penalty", "abs")));
        assertEquals(-0.1, abs.nonScoreReward()[2], TOL);
    }

    /**
     * The whitening statistics are TRL's: the GAE advantages (recomputed here per trajectory from the reward
     * tensor, in the scan's arithmetic) summed over the policy tokens in token order, then the squared
     * deviations. Raw bits of the mean, the variance and every advantage, on random batches of 1 to 7
     * trajectories of different lengths (the scans run in pairs and the mean's sum trails them).
     */
    @Test
    void whiteningSumsFollowTokenOrder() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(2505);
        for (int round = 0; round < 40; round++) {
            var b = Rollouts.builder();
            int trajectories = 1 + round % 7;
            for (int i = 0; i < trajectories; i++) {
                b.trajectory("g", "t" + i);
                int len = 0;
                int spans = 1 + r.nextInt(5);
                for (int s = 0; s < spans || len < 2; s++) {
                    int l = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(12);
                    if (r.nextInt(3) == 0) b.span(Role.CONTEXT, l);
                    else b.span(Role.POLICY, l, r.nextDouble(), null, null);
                    len += l;
                }
                for (String sig : List.of(Rollouts.LOGPROB, Rollouts.REF_LOGPROB, Rollouts.VALUE)) {
                    float[] x = new float[len];
                    for (int t = 0; t < len; t++) x[t] = (float) r.nextDouble(-2, 1);
                    b.tokenSignal(sig, x);
                }
            }
            Rollouts batch = b.build();
            Params p = Params.resolve(est.descriptor(), null, Map.of("gamma", 0.99, "lam", 0.9));
            float[] rew = est.components(batch, p).rewards();
            float[] value = batch.tokenSignal(Rollouts.VALUE);
            byte[] mask = batch.mask();
            double[] a = new double[batch.tokenCount()];
            double gamma = 0.99;
            double gl = gamma * 0.9;
            for (int i = 0; i < trajectories; i++) {
                double next = 0;
                double acc = 0;
                for (int t = batch.tokenEnd(i) - 1; t >= batch.tokenStart(i); t--) {
                    double rt = mask[t] != 0 ? rew[t] : 0.0;
                    double vt = mask[t] != 0 ? value[t] : 0.0;
                    acc = (rt + gamma * next - vt) + gl * acc;
                    a[t] = acc;
                    next = vt;
                }
            }
            long m = 0;
            double sum = 0;
            for (int t = 0; t < a.length; t++) {
                if (mask[t] != 0) {
                    m++;
                    sum += a[t];
                }
            }
            if (m < 2) continue;
            double mu = sum / m;
            double ss = 0;
            for (int t = 0; t < a.length; t++) if (mask[t] != 0) ss += (a[t] - mu) * (a[t] - mu);
            double var = ss / m * m / (m - 1.0);
            double scale = 1.0 / Math.sqrt(var + 1e-8);
            Credit c = est.assign(batch, p);
            String where = "round " + round;
            assertEquals(
                    Double.doubleToRawLongBits(mu),
                    Double.doubleToRawLongBits(c.diagnostics().get("whiten_mean")),
                    where + " mean");
            assertEquals(
                    Double.doubleToRawLongBits(var),
                    Double.doubleToRawLongBits(c.diagnostics().get("whiten_var")),
                    where + " variance");
            for (int t = 0; t < a.length; t++) {
                float want = mask[t] != 0 ? (float) ((a[t] - mu) * scale) : 0f;
                assertEquals(
                        Float.floatToRawIntBits(want), Float.floatToRawIntBits(c.advantages()[t]), where + " " + t);
            }
        }
    }

    @Test
    void halfPrecisionRounding() {
        assertEquals(0.300048828125, Half.round(0.3), 0.0);
        assertEquals(2048.0, Half.round(2049.0), 0.0); // tie to even
        assertEquals(2052.0, Half.round(2051.0), 0.0);
        assertEquals(Double.POSITIVE_INFINITY, Half.round(65520.0), 0.0);
        assertEquals(65504.0, Half.round(65519.0), 0.0);
        assertEquals(0.0, Half.round(1e-8), 0.0);
        assertEquals(0x1p-24, Half.round(6e-8), 0.0);
    }
}
