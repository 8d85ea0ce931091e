package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DrGrpoTest extends EstimatorContract {
    private final DrGrpo dr = new DrGrpo();

    @Override
    protected Estimator estimator() {
        return dr;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, true, true, true, true);
    }

    @Test
    void paperExample() {
        // methods-reasoning.md §21: R = [1,0,1,1] → [.25, −.75, .25, .25]
        Rollouts b = outcomes(groups("g", "g", "g", "g"), 1, 0, 1, 1);
        Credit c = dr.assign(b);
        assertPerTrajectory(b, c, 1e-6, 0.25, -0.75, 0.25, 0.25);
        assertEquals(c.advantages(), c.returns());
    }

    @Test
    void sameAsGrpoWithoutStd() {
        Rollouts b = RandomBatches.batch(11);
        Credit a = dr.assign(b);
        Credit g = run(new Grpo(), b, null, Map.of("normalize_by_std", false));
        for (int t = 0; t < b.tokenCount(); t++) assertEquals(g.advantages()[t], a.advantages()[t], 0f);
    }

    @Test
    void singletonAndAllEqual() {
        Rollouts b = outcomes(groups("a", "b", "b"), 3, 0.5, 0.5);
        assertPerTrajectory(b, dr.assign(b), 0, 3, 0, 0);
        assertPerTrajectory(b, run(dr, b, "trl", Map.of()), 0, 0, 0, 0);
        assertThrows(RolloutException.class, () -> run(dr, b, "openrlhf", Map.of()));
    }

    @Test
    void stdScalingIsNotAnOption() {
        Rollouts b = outcomes(groups("g", "g"), 0, 1);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> run(dr, b, "trl", Map.of("scale_rewards", "group")));
        assertTrue(e.getMessage().contains("scale_rewards"), e.getMessage());
    }

    @Test
    void openRlhfNoWhiteningGammaForced() {
        // dr_grpo in OpenRLHF = reinforce_baseline without whitening: r − mean, clipped, KL off here
        Rollouts b = outcomes(groups("p", "p", "p"), 30, 0, -6);
        Credit c =
                run(dr, b, "openrlhf", Map.of("kl_coef", 0.0, "gamma", 0.9, "reward_clip_range", List.of(-10.0, 10.0)));
        assertPerTrajectory(b, c, 1e-6, 10, -8, -10);
    }
}
