package dev.apportion.core.estimator.turn;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AemTest extends EstimatorContract {
    private final Aem est = new Aem();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(resolved(null, Map.of("unit", "trajectory", "kappa", -0.3, "logprob_signal", "logprob")));
    }

    /**
     * Reference notes' example shape: outcomes [1, 1, 0, 0] (A = +-0.86602, unbiased std), one
     * single-token response each with log-prob [-.5, -1.5, -.5, -1.5] -> surprisal [.5, 1.5, .5, 1.5],
     * u = [-.5, .5, -.5, .5]; A*u = [-.4330, .4330, .4330, -.4330]; w = 1 + 0.5*tanh(A*u) =
     * [0.79608, 1.20392, 1.20392, 0.79608]; A' = [0.68943, 1.04262, -1.04262, -0.68943].
     */
    private static Rollouts example() {
        RolloutsBuilder b = Rollouts.builder();
        double[] r = {1, 1, 0, 0};
        double[] lp = {-0.5, -1.5, -0.5, -1.5};
        for (int i = 0; i < 4; i++) {
            b.trajectory("g", "t" + i)
                    .outcome(r[i])
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 1)
                    .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, (float) lp[i]});
        }
        return b.build();
    }

    private Params fixed(Map<String, Object> extra) {
        return resolved("fixed_sign", extra);
    }

    /**
     * A group with outcomes {@code r} whose responses have log-probs {@code lp} (one token each):
     * the entropy-drift proxy Σ Ã·u / Σ A·u (above 1: entropy-raising updates weigh more).
     */
    private double driftRatio(double[] r, double[] lp, Params p) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < r.length; i++) {
            b.trajectory("g", "t" + i)
                    .outcome(r[i])
                    .span(Role.POLICY, 1)
                    .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {(float) lp[i]});
        }
        Rollouts batch = b.build();
        float[] plain = est.assign(batch, resolved(null, Map.of("kappa", 0.0))).advantages();
        float[] mod = est.assign(batch, p).advantages();
        double meanS = 0;
        for (double x : lp) meanS -= x / lp.length;
        double num = 0;
        double den = 0;
        for (int i = 0; i < r.length; i++) {
            double u = -lp[i] - meanS;
            num += mod[i] * u;
            den += plain[i] * u;
        }
        return num / den;
    }

    /**
     * Issue 12 audit: a failure-heavy group (1 success in 4) must be pushed towards exploration
     * (entropy-raising updates amplified, ratio > 1) and a success-heavy group (3 in 4) towards
     * exploitation (ratio < 1). The fixed-sign variant amplifies both alike.
     */
    @Test
    void balanceMovesFromExplorationToExploitation() {
        double[] lp = {-1.5, -0.5, -0.7, -1.2};
        Params paper = resolved("paper", Map.of());
        double failureHeavy = driftRatio(new double[] {1, 0, 0, 0}, lp, paper);
        double successHeavy = driftRatio(new double[] {1, 1, 1, 0}, new double[] {-0.5, -1.5, -1.2, -0.7}, paper);
        assertTrue(failureHeavy > 1.01, "failure-heavy group explores: " + failureHeavy);
        assertTrue(successHeavy < 0.99, "success-heavy group exploits: " + successHeavy);
        double fixedFail = driftRatio(new double[] {1, 0, 0, 0}, lp, fixed(Map.of()));
        double fixedSucc =
                driftRatio(new double[] {1, 1, 1, 0}, new double[] {-0.5, -1.5, -1.2, -0.7}, fixed(Map.of()));
        assertTrue(
                fixedFail > 1 && fixedSucc > 1,
                "the fixed sign amplifies entropy-raising updates in both: " + fixedFail + ", " + fixedSucc);
        // a balanced group is left alone under the paper preset
        Rollouts balanced = example();
        float[] a = est.assign(balanced, paper).advantages();
        assertTurns(balanced, a, 0, TOL, 0.8660239);
    }

    @Test
    void workedExample() {
        Rollouts batch = example();
        float[] a = est.assign(batch, fixed(Map.of())).advantages();
        double[] want = {0.6894263, 1.0426215, -1.0426215, -0.6894263};
        for (int i = 0; i < 4; i++) assertTurns(batch, a, i, TOL, want[i]);
        assertTurnConstant(batch, a);
    }

    /** kappa < 0 reverses the modulation: w = 1 - 0.5*tanh(A*u). */
    @Test
    void negativeKappaReverses() {
        Rollouts batch = example();
        float[] a = est.assign(batch, fixed(Map.of("kappa", -0.5))).advantages();
        double[] want = {1.0426215, 0.6894263, -0.6894263, -1.0426215};
        for (int i = 0; i < 4; i++) assertTurns(batch, a, i, TOL, want[i]);
        // a tight clip bounds the weight: delta 0.1 -> w in [0.9, 1.1]
        float[] c = est.assign(batch, fixed(Map.of("delta", 0.1))).advantages();
        assertTurns(batch, c, 0, TOL, 0.8660239 * 0.9);
        assertTurns(batch, c, 1, TOL, 0.8660239 * 1.1);
    }

    /**
     * unit = trajectory: one surprisal per trajectory over all its turns' tokens. Trajectory a
     * (outcome 1) has turns [-.5, -.5] and [-2]: s = 3/3 = 1; b (outcome 0) one token -2: s = 2.
     * u = [-.5, .5]; A = +-0.70711; A*u = -0.35355 for both; w = 1 + .5*tanh(-.35355) = 0.83024.
     */
    @Test
    void trajectoryUnit() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-0.5f, -0.5f, 0f, -2f})
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2f})
                .build();
        float[] a = est.assign(batch, fixed(Map.of("unit", "trajectory"))).advantages();
        double w = 1 + 0.5 * Math.tanh(-0.7071058 * 0.5);
        assertEquals(0.830239, w, 1e-5);
        assertTurns(batch, a, 0, TOL, 0.7071058 * w, 0.7071058 * w);
        assertTurns(batch, a, 1, TOL, -0.7071058 * w);
        // per turn instead: turns s = [.5, 2, 2], group mean 1.5 -> u = [-1, .5, .5]
        float[] t = est.assign(batch, fixed(Map.of())).advantages();
        assertTurns(
                batch,
                t,
                0,
                TOL,
                0.7071058 * (1 + 0.5 * Math.tanh(-0.7071058)),
                0.7071058 * (1 + 0.5 * Math.tanh(0.3535529)));
    }

    @Test
    void oneResponseGroupAndMissingLogprobs() {
        Rollouts one = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-1f})
                .build();
        assertTurns(one, est.assign(one, fixed(Map.of())).advantages(), 0, 0.0, 0.0);
        Rollouts none = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(none));
    }
}
