package dev.apportion.core.estimator.agent;

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

class C3Test extends EstimatorContract {
    private final C3 est = new C3();
    private static final double TOL = 1e-6;

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches carry reward_baseline, used here as the critic's score. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("q_signal", "reward_baseline")),
                resolved("reward_only", Map.of()),
                resolved(
                        null,
                        Map.of(
                                "q_signal",
                                "reward_baseline",
                                "credit_variant",
                                "value_only",
                                "baseline_mode",
                                "full_mean")),
                resolved(null, Map.of("q_signal", "reward_baseline", "va_alpha", 0.3)));
    }

    private static Rollouts siblings(double[] r, double[] q, int depth) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < r.length; i++) {
            b.trajectory("g", "n" + i)
                    .outcome(r[i])
                    .signal(C3.Q_VALUE, q[i])
                    .signal(C3.DEPTH, depth)
                    .span(Role.POLICY, 2);
        }
        return b.build();
    }

    private static double node(Rollouts b, float[] a, int i) {
        return a[b.tokenStart(i)];
    }

    /** r = [1, 0, 0.5], q = [0.8, 0.2, 0.5]: value_assisted alpha 1 = r - LOO(q): [0.65, -0.65, 0]. */
    @Test
    void leaveOneOutCriticBaseline() {
        Rollouts b = siblings(new double[] {1, 0, 0.5}, new double[] {0.8, 0.2, 0.5}, 0);
        float[] a = est.assign(b).advantages();
        assertEquals(1 - 0.35, node(b, a, 0), TOL);
        assertEquals(0 - 0.65, node(b, a, 1), TOL);
        assertEquals(0.5 - 0.5, node(b, a, 2), TOL);
        float[] ro = est.assign(b, resolved("reward_only", Map.of())).advantages();
        assertEquals(1 - 0.25, node(b, ro, 0), TOL);
        float[] half = est.assign(b, resolved(null, Map.of("va_alpha", 0.5, "baseline_mode", "full_mean")))
                .advantages();
        assertEquals(1 - (0.5 * 0.5 + 0.5 * 0.5), node(b, half, 0), TOL);
    }

    /** A lone node gets 0; the fanout check fails fast on a wrong group size. */
    @Test
    void singletonsAndFanoutCheck() {
        Rollouts one = siblings(new double[] {1}, new double[] {0.3}, 1);
        assertEquals(0.0, est.assign(one).advantages()[0], 0.0);
        Rollouts two = siblings(new double[] {1, 0}, new double[] {0.3, 0.1}, 1);
        Params fan = resolved(null, Map.of("fanout_list", List.of(2.0, 3.0)));
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(two, fan));
        assertTrue(e.getMessage().contains("expects 3"), e.getMessage());
        Params flat = resolved(null, Map.of("fanout_list", List.of(1.0, 2.0), "no_replay", true));
        est.assign(two, flat); // 1 * 2 nodes at depth 1
    }

    @Test
    void nodeWithoutTeamRewardIsAnError() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .signal(C3.Q_VALUE, 0.5)
                .span(Role.POLICY, 1)
                .trajectory("h", "b")
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(b, resolved("reward_only", Map.of())));
    }
}
