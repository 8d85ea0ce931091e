package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpoTest extends EstimatorContract {
    private final Opo opo = new Opo();

    @Override
    protected Estimator estimator() {
        return opo;
    }

    @Test
    void lengthWeightedBaseline() {
        // verl edge case: lengths 3,2,4 | 1 | 2,3 ; s = [1,0,0 | 1 | .5,.5] → b_a = 3/9
        Rollouts b = outcomes(
                groups("a", "a", "a", "b", "c", "c"), new double[] {1, 0, 0, 1, .5, .5}, new int[] {3, 2, 4, 1, 2, 3});
        assertPerTrajectory(b, opo.assign(b), 1e-6, 2.0 / 3, -1.0 / 3, -1.0 / 3, 1, 0, 0);
        assertPerTrajectory(
                b, run(opo, b, null, Map.of("singleton", "zero")), 1e-6, 2.0 / 3, -1.0 / 3, -1.0 / 3, 0, 0, 0);
    }

    @Test
    void lengthIsThePolicyTokenCountNotTheContext() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "long-prompt")
                .outcome(1)
                .span(Role.CONTEXT, 50)
                .span(Role.POLICY, 1)
                .trajectory("g", "long-answer")
                .outcome(0)
                .span(Role.POLICY, 3)
                .span(Role.CONTEXT, 0)
                .build();
        // b = (1·1 + 3·0)/4 = .25
        assertPerTrajectory(b, opo.assign(b), 1e-6, 0.75, -0.25);
    }

    @Test
    void groupWithoutPolicyTokensGetsZeroBaseline() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.CONTEXT, 1)
                .build();
        assertPerTrajectory(b, opo.assign(b), 0, 0, 0);
    }
}
