package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;
import static dev.apportion.core.estimator.trajectory.Batches.valueOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DapoTest extends EstimatorContract {
    private final Dapo dapo = new Dapo();

    @Override
    protected Estimator estimator() {
        return dapo;
    }

    // a: mixed (kept), b: all correct (filtered), c: one sample (filtered), d: mixed (kept)
    private final Rollouts batch =
            outcomes(groups("a", "a", "b", "b", "c", "d", "d"), new double[] {1, 0, 1, 1, 1, 0, 1}, new int[] {
                2, 6, 3, 3, 5, 1, 3
            });

    @Test
    void dynamicSamplingFiltersAllEqualGroups() {
        Credit c = dapo.assign(batch);
        double z = 0.5 / (Math.sqrt(0.5) + 1e-6);
        assertPerTrajectory(batch, c, 1e-6, z, -z, 0, 0, 0, -z, z);
        assertEquals(2.0, c.diagnostics().get("filtered_groups"));
        assertEquals(4.0, c.diagnostics().get("kept_trajectories"));
        assertEquals(12.0, c.diagnostics().get("loss_tokens"));
    }

    @Test
    void tokenLevelLossWeightsSumToOne() {
        Credit c = dapo.assign(batch);
        // kept policy tokens: 2 + 6 + 1 + 3 = 12 → 1/12 each; filtered trajectories weigh 0
        double[] want = {1.0 / 12, 1.0 / 12, 0, 0, 0, 1.0 / 12, 1.0 / 12};
        double sum = 0;
        for (int i = 0; i < want.length; i++) assertEquals(want[i], valueOf(batch, c.lossWeights(), i), 1e-8);
        for (float w : c.lossWeights()) sum += w;
        assertEquals(1.0, sum, 1e-6);
        // GRPO's per-sequence mean instead: 1/(|o_i|·4)
        Credit seq = run(dapo, batch, null, Map.of("loss_agg", "seq-mean-token-mean"));
        assertEquals(1.0 / (2 * 4), valueOf(batch, seq.lossWeights(), 0), 1e-8);
        assertEquals(1.0 / (6 * 4), valueOf(batch, seq.lossWeights(), 1), 1e-8);
    }

    @Test
    void withoutDynamicSamplingEveryTrajectoryWeighs() {
        Credit c = run(dapo, batch, null, Map.of("dynamic_sampling", false));
        assertEquals(0.0, c.diagnostics().get("filtered_groups"));
        assertEquals(1.0 / 23, valueOf(batch, c.lossWeights(), 2), 1e-8);
    }

    @Test
    void everyGroupFilteredGivesNothing() {
        Rollouts b = outcomes(groups("a", "a", "b"), 1, 1, 0);
        Credit c = dapo.assign(b);
        for (int t = 0; t < b.tokenCount(); t++) {
            assertEquals(0f, c.advantages()[t]);
            assertEquals(0f, c.lossWeights()[t]);
        }
    }

    @Test
    void softOverlongPenalty() {
        // methods-reasoning.md §21 with L_max 20480, L_cache 4096: |y| 16000 → 0, 18432 → −.5, 20480 → −1, 21000 → −1;
        // here scaled down by 1024 (L_max 20, L_cache 4): lengths 15, 18, 20, 21 → 0, −.5, −1, −1
        Rollouts b = outcomes(groups("g", "g", "g", "g"), new double[] {1, 1, 1, 1}, new int[] {15, 18, 20, 21});
        Credit c =
                run(dapo, b, null, Map.of("overlong_max_length", 20, "overlong_buffer", 4, "dynamic_sampling", false));
        // scores [1, .5, 0, 0]: mean .375, unbiased σ = sqrt((.625²+.125²+.375²·2)/3)
        double sigma = Math.sqrt((0.625 * 0.625 + 0.125 * 0.125 + 2 * 0.375 * 0.375) / 3);
        double d = sigma + 1e-6;
        assertPerTrajectory(b, c, 1e-6, 0.625 / d, 0.125 / d, -0.375 / d, -0.375 / d);
        // the filter looks at the score before the length penalty: this group is all-correct
        assertEquals(
                1.0,
                dapo.assign(
                                b,
                                dev.apportion.core.credit.Params.resolve(
                                        dapo.descriptor(),
                                        null,
                                        Map.of("overlong_max_length", 20, "overlong_buffer", 4)))
                        .diagnostics()
                        .get("filtered_groups"));
        assertThrows(
                IllegalArgumentException.class,
                () -> run(dapo, b, null, Map.of("overlong_max_length", 20, "overlong_buffer", 0)));
    }
}
