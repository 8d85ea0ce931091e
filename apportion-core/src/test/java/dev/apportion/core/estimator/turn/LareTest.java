package dev.apportion.core.estimator.turn;

import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LareTest extends EstimatorContract {
    private final Lare est = new Lare();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("features", "prm,info_gain")),
                resolved(null, Map.of("features", "info_gain", "fit", "gradient_step", "normalize_by_std", true)));
    }

    /**
     * Reference notes' example: one episode, z_1 = [1, 0], z_2 = [0, 1], R = 3; one gradient step of
     * lr 0.1 from w = 0 on (R - sum w.z)^2 gives w = 0.1 * 2 * 3 * [1, 1] = [0.6, 0.6]; proxy rewards
     * [0.6, 0.6], proxy returns [1.2, 0.6]; a one-episode group has no baseline (A = 0).
     */
    @Test
    void gradientStepWorkedExample() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "e")
                .outcome(3)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .spanSignal("latent_a", 1)
                .spanSignal("latent_b", 0)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .spanSignal("latent_a", 0)
                .spanSignal("latent_b", 1)
                .build();
        Credit c = est.assign(batch, resolved(null, Map.of("fit", "gradient_step")));
        assertEquals(0.6, c.diagnostics().get("weight.latent_a"), 1e-12);
        assertEquals(0.6, c.diagnostics().get("weight.latent_b"), 1e-12);
        assertTurns(batch, c.returns(), 0, 1e-6, 1.2, 0.6);
        assertTurns(batch, c.advantages(), 0, 0.0, 0.0, 0.0);
    }

    /**
     * Least squares, rho = 0: episode a has z = [1, 0], [0, 1] and R = 3; episode b has z = [1, 0]
     * and R = 1. Z = [[1, 1], [1, 0]] is square and invertible: w = [1, 2]. Proxy rewards a: [1, 2],
     * b: [1]; proxy returns a: [3, 2], b: [1]. Turn 0 cell [3, 1] -> +-1; turn 1 only in a -> 0.
     */
    @Test
    void exactDecomposition() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(3)
                .span(Role.POLICY, 1)
                .spanSignal("latent_a", 1)
                .spanSignal("latent_b", 0)
                .span(Role.POLICY, 1)
                .spanSignal("latent_a", 0)
                .spanSignal("latent_b", 1)
                .trajectory("g", "b")
                .outcome(1)
                .span(Role.POLICY, 1)
                .spanSignal("latent_a", 1)
                .spanSignal("latent_b", 0)
                .build();
        Credit c = est.assign(batch, resolved(null, Map.of("ridge", 0.0)));
        assertEquals(1.0, c.diagnostics().get("weight.latent_a"), 1e-9);
        assertEquals(2.0, c.diagnostics().get("weight.latent_b"), 1e-9);
        assertTurns(batch, c.returns(), 0, 1e-6, 3, 2);
        assertTurns(batch, c.advantages(), 0, 1e-6, 1, 0);
        assertTurns(batch, c.advantages(), 1, 1e-6, -1);
    }

    /** The 2x2 ridge system by hand: (X^T X + I) w = X^T y with X = [[1, 2], [3, 4]], y = [1, 2]. */
    @Test
    void ridgeSolve() {
        // X^T X + I = [[11, 14], [14, 21]], X^T y = [7, 10]; det = 231 - 196 = 35
        double[] w = Lare.ridgeFit(new double[][] {{1, 2}, {3, 4}}, new double[] {1, 2}, 2, 1.0);
        assertArrayEquals(new double[] {(21 * 7 - 14 * 10) / 35.0, (11 * 10 - 14 * 7) / 35.0}, w, 1e-12);
        // a singular system (duplicate feature) without ridge falls back to a tiny ridge instead of failing
        double[] s = Lare.ridgeFit(new double[][] {{1, 1}, {2, 2}}, new double[] {1, 2}, 2, 0.0);
        assertEquals(1.0, s[0] + s[1], 1e-6);
    }

    @Test
    void needsFeatures() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "e")
                .outcome(1)
                .span(Role.POLICY, 1)
                .spanSignal("prm", 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(batch));
        assertThrows(
                RolloutException.class, () -> est.assign(batch, resolved(null, Map.of("features", "prm,latent_x"))));
    }
}
