package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GpgTest extends EstimatorContract {
    private final Gpg gpg = new Gpg();

    @Override
    protected Estimator estimator() {
        return gpg;
    }

    @Test
    void alphaIsRowsOverNonZeroScores() {
        // framework-estimators.md §1.3: 4 of 6 scores non-zero → α = 1.5 → [1, −.5, −.5, 1.5, 0, 0]
        Rollouts b = outcomes(groups("a", "a", "a", "b", "c", "c"), 1, 0, 0, 1, .5, .5);
        Credit c = gpg.assign(b);
        assertPerTrajectory(b, c, 1e-6, 1, -0.5, -0.5, 1.5, 0, 0);
        assertEquals(1.5, c.diagnostics().get("alpha"));
        assertPerTrajectory(b, run(gpg, b, null, Map.of("f_norm", 2.0)), 1e-6, 0.5, -0.25, -0.25, 0.75, 0, 0);
    }

    @Test
    void allZeroScores() {
        Rollouts b = outcomes(groups("a", "a", "b"), 0, 0, 0);
        Credit c = gpg.assign(b);
        assertPerTrajectory(b, c, 0, 0, 0, 0);
        assertEquals(3.0, c.diagnostics().get("alpha"));
    }
}
