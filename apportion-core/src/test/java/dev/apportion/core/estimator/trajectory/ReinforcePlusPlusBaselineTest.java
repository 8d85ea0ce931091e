package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReinforcePlusPlusBaselineTest extends EstimatorContract {
    private final ReinforcePlusPlusBaseline rpp = new ReinforcePlusPlusBaseline();

    @Override
    protected Estimator estimator() {
        return rpp;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, false, true, true, true);
    }

    private static final int[] EDGE_LENGTHS = {3, 2, 4, 1, 2, 3};

    @Test
    void verlWorkedExample() {
        // framework-estimators.md §1.3: row values [1.3108, −.8739, −.8739, 2.0390, −.1456, −.1456]
        Rollouts b = outcomes(groups("a", "a", "a", "b", "c", "c"), new double[] {1, 0, 0, 1, .5, .5}, EDGE_LENGTHS);
        Credit c = rpp.assign(b);
        assertPerTrajectory(b, c, 1e-4, 1.3108, -0.8739, -0.8739, 2.0390, -0.1456, -0.1456);
        assertSame(c.advantages(), c.returns(), "verl returns the whitened advantages");
    }

    @Test
    void openRlhfBiasedClampedWhiteningAndRawReturns() {
        Rollouts b = outcomes(groups("a", "a", "b", "b"), new double[] {1, 0, 0, 0}, new int[] {1, 1, 1, 1});
        Credit c = run(rpp, b, "openrlhf", Map.of("kl_coef", 0.0));
        // shaped [.5, −.5, 0, 0]; mean 0; biased var .125 → ±.5/sqrt(.125)
        double z = 0.5 / Math.sqrt(0.125);
        assertPerTrajectory(b, c, 1e-5, z, -z, 0, 0);
        assertNotSame(c.advantages(), c.returns());
        assertEquals(0.5, c.returns()[2], 1e-6);
        Credit shiftOnly = run(rpp, b, "openrlhf", Map.of("kl_coef", 0.0, "no_std_norm", true));
        assertPerTrajectory(b, shiftOnly, 1e-6, 0.5, -0.5, 0, 0);
    }

    @Test
    void varianceBelowTheClampUsesTheClamp() {
        // openrlhf-trl.md §2.6: rewards 2^-14 and 0 → var 2^-30 < 1e-8 → ±0.3052 ... here with one token each
        double r = Math.pow(2, -14);
        Rollouts b = outcomes(groups("a", "a"), new double[] {r, 0}, new int[] {1, 1});
        Credit c = run(rpp, b, "openrlhf", Map.of("kl_coef", 0.0));
        assertPerTrajectory(b, c, 1e-6, r / 2 * 1e4, -r / 2 * 1e4);
    }

    @Test
    void registeredUnderOpenRlhfsNameToo() {
        EstimatorRegistry reg = EstimatorRegistry.of(new TrajectoryEstimators().estimators());
        assertSame(reg.get("reinforce_plus_plus_baseline"), reg.get("reinforce_baseline"));
    }

    @Test
    void needsTwoPolicyTokensForTheUnbiasedWhitening() {
        Rollouts b = outcomes(groups("a", "a"), new double[] {1, 0}, new int[] {1, 0});
        assertThrows(IllegalArgumentException.class, () -> rpp.assign(b));
    }
}
