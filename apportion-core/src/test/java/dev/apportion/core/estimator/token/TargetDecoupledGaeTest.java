package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class TargetDecoupledGaeTest extends EstimatorContract {
    private final TargetDecoupledGae est = new TargetDecoupledGae();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** Random batches carry one critic signal (value): use it as a single head. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("gammas", List.of(0.99), "actor_head", 0, "value_signals", "value")),
                resolved(
                        null,
                        Map.of(
                                "gammas",
                                List.of(0.9, 0.5),
                                "actor_head",
                                1,
                                "normalize",
                                false,
                                "value_signals",
                                "value,value")),
                resolved(
                        null,
                        Map.of(
                                "gammas",
                                List.of(0.9, 0.99),
                                "actor_head",
                                0,
                                "mode",
                                "mean",
                                "value_signals",
                                "value,value")));
    }

    private static Rollouts threeSteps() {
        float[] zero = new float[4];
        return Rollouts.builder()
                .trajectory("q", "a")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 3)
                .tokenSignal(Rollouts.REWARD, new float[] {0, 0, 0, 10})
                .tokenSignal("value_h0", zero)
                .tokenSignal("value_h1", zero)
                .tokenSignal("value_h2", zero)
                .tokenSignal("value_h3", zero)
                .tokenSignal("route_h0", new float[] {0, 1, 1, 1})
                .tokenSignal("route_h1", zero)
                .tokenSignal("route_h2", zero)
                .tokenSignal("route_h3", zero)
                .build();
    }

    /**
     * The notes' unit test (V ≡ 0, rewards [0, 0, 10], terminal, λ = .95): γ = .5 → [2.2563, 4.75, 10];
     * .9 → [7.3103, 8.55, 10]; .99 → [8.8454, 9.405, 10]; .999 → [9.0070, 9.4905, 10] (9.006959 exactly). By hand for γ = .5:
     * 10; 0 + .5·.95·10 = 4.75; .5·.95·4.75 = 2.25625.
     */
    @Test
    void perHeadAdvantagesMatchTheNotes() {
        Rollouts b = threeSteps();
        float[][] want = {
            {2.25625f, 4.75f, 10f}, {7.310250f, 8.55f, 10f}, {8.845402f, 9.405f, 10f}, {9.006959f, 9.4905f, 10f}
        };
        for (int h = 0; h < 4; h++) {
            Credit c = est.assign(b, resolved(null, Map.of("actor_head", h, "normalize", false)));
            assertClose(new float[] {0, want[h][0], want[h][1], want[h][2]}, c.advantages(), "head " + h);
            assertClose(new float[] {0, want[h][0], want[h][1], want[h][2]}, c.returns(), "returns (V = 0) head " + h);
        }
        // routed with all weight on head 0 gives head 0; mean gives the heads' average
        assertClose(
                new float[] {0, 2.25625f, 4.75f, 10f},
                est.assign(b, resolved(null, Map.of("mode", "routed", "normalize", false)))
                        .advantages(),
                "routed");
        float m0 = (2.25625f + 7.31025f + 8.845402f + 9.006959f) / 4;
        assertClose(
                new float[] {0, m0, (4.75f + 8.55f + 9.405f + 9.4905f) / 4, 10f},
                est.assign(b, resolved(null, Map.of("mode", "mean", "normalize", false)))
                        .advantages(),
                "mean");
        // paper default: head 3 whitened: mean 9.499153, unbiased std of [9.006959, 9.4905, 10] = 0.496577
        float[] d = est.assign(b).advantages();
        assertClose(new float[] {0, -0.991173f, -0.017425f, 1.008599f}, d, "whitened");
    }

    @Test
    void missingHeadIsNamed() {
        Rollouts b = Rollouts.builder()
                .trajectory("q", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b));
        assertTrue(e.getMessage().contains("value_h3"), e.getMessage());
    }
}
