package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RlooTest extends EstimatorContract {
    private final Rloo rloo = new Rloo();

    @Override
    protected Estimator estimator() {
        return rloo;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, false, true, true, true);
    }

    @Test
    void paperExample() {
        // methods-reasoning.md §21: R = [1,0,1,1] → [.3333, −1, .3333, .3333]
        Rollouts b = outcomes(groups("g", "g", "g", "g"), 1, 0, 1, 1);
        Credit c = rloo.assign(b);
        assertPerTrajectory(b, c, 1e-6, 1.0 / 3, -1, 1.0 / 3, 1.0 / 3);
        assertSame(c.advantages(), c.returns());
    }

    @Test
    void singletonRawInTheLoopVersionZeroInTheVectorizedOne() {
        // framework-estimators.md §1.3: s = [1,0,0 | 1 | .5,.5] → [1, −.5, −.5, 1 (raw) or 0, 0, 0]
        Rollouts b = outcomes(groups("a", "a", "a", "b", "c", "c"), 1, 0, 0, 1, .5, .5);
        assertPerTrajectory(b, rloo.assign(b), 1e-6, 1, -0.5, -0.5, 1, 0, 0);
        assertPerTrajectory(b, run(rloo, b, "verl_vectorized", Map.of()), 1e-6, 1, -0.5, -0.5, 0, 0, 0);
        RolloutException e = assertThrows(RolloutException.class, () -> run(rloo, b, "openrlhf", Map.of()));
        assertTrue(e.getMessage().contains("group 'b'"), e.getMessage());
    }

    @Test
    void openRlhfClipsAfterTheLeaveOneOutShaping() {
        // openrlhf-trl.md §2.3: raw (30, −5) shape to (35, −35), which clip to (10, −10)
        Rollouts b = outcomes(groups("p", "p"), 30, -5);
        assertPerTrajectory(b, run(rloo, b, "openrlhf", Map.of("kl_coef", 0.0, "gamma", 0.95)), 1e-6, 10, -10);
    }
}
