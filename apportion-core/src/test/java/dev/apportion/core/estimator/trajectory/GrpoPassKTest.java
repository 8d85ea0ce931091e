package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpoPassKTest extends EstimatorContract {
    private final GrpoPassK passk = new GrpoPassK();

    @Override
    protected Estimator estimator() {
        return passk;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, false, true, true, true);
    }

    @Test
    void onlyTheBestGetsTheMargin() {
        // framework-estimators.md §1.3: groups [1,0,0] and [1,.5,.5] → [1.73205, 0, 0, 1.73204, 0, 0]
        Rollouts b = outcomes(groups("a", "a", "a", "c", "c", "c"), 1, 0, 0, 1, .5, .5);
        assertPerTrajectory(b, passk.assign(b), 1e-4, 1.73205, 0, 0, 1.73204, 0, 0);
        assertPerTrajectory(b, run(passk, b, null, Map.of("normalize_by_std", false)), 1e-6, 1, 0, 0, 0.5, 0, 0);
    }

    @Test
    void tiedMaximumGivesZero() {
        Rollouts b = outcomes(groups("a", "a", "a"), 1, 1, 0);
        assertPerTrajectory(b, passk.assign(b), 0, 0, 0, 0);
    }

    @Test
    void groupOfOneIsRefused() {
        Rollouts b = outcomes(groups("a", "a", "b"), 1, 0, 1);
        RolloutException e = assertThrows(RolloutException.class, () -> passk.assign(b));
        assertTrue(e.getMessage().contains("at least 2") && e.getMessage().contains("group 'b'"), e.getMessage());
        assertEquals(2, e.trajectory());
    }
}
