package dev.apportion.core.estimator.trajectory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
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

class AgraeEstimatorTest extends EstimatorContract {
    private static final AgraeEstimator EST = new AgraeEstimator();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(
                resolved(Map.of("norm_adv_by_std_in_grpo", false, "alpha", 0.5)), resolved(Map.of("grpo_weight", 1.0)));
    }

    /** Groups of binary outcomes, one policy token after one context token per trajectory. */
    static Rollouts groups(double[]... outcomes) {
        RolloutsBuilder b = Rollouts.builder();
        int id = 0;
        for (int g = 0; g < outcomes.length; g++) {
            for (double o : outcomes[g])
                b.trajectory("g" + g, "t" + id++)
                        .outcome(o)
                        .span(Role.CONTEXT, 1)
                        .span(Role.POLICY, 1);
        }
        return b.build();
    }

    static double[] perTrajectory(Rollouts b, Credit c) {
        double[] out = new double[b.trajectoryCount()];
        for (int i = 0; i < out.length; i++) {
            assertEquals(0f, c.advantages()[b.tokenStart(i)], 0f, "context token");
            out[i] = c.advantages()[b.tokenStart(i) + 1];
        }
        return out;
    }

    static double[] ones(int n, int k) {
        double[] a = new double[n];
        for (int i = 0; i < k; i++) a[i] = 1;
        return a;
    }

    /**
     * methods-reasoning.md §3: with batch accuracy m = 0.4, group [1,1,0,0] → [0.4528, 0.4528, −1.1320, −1.1320]
     * and group [1,0,0,0] → [0.6, −0.5, −0.5, −0.5]. A third group (9 of 20 correct, mean 0.45) sets m = 0.4.
     */
    @Test
    void workedExamples() {
        Rollouts b = groups(new double[] {1, 1, 0, 0}, new double[] {1, 0, 0, 0}, ones(20, 9));
        Credit c = EST.assign(b, resolved(Map.of()));
        assertEquals(0.4, c.diagnostics().get("batch_accuracy"), 1e-12);
        double[] a = perTrajectory(b, c);
        assertArrayEquals(new double[] {0.4528, 0.4528, -1.1320, -1.1320}, java.util.Arrays.copyOfRange(a, 0, 4), 1e-4);
        assertArrayEquals(new double[] {0.6, -0.5, -0.5, -0.5}, java.util.Arrays.copyOfRange(a, 4, 8), 1e-5);
        // any grpo_weight other than exactly 2.0 is plain GRPO (unbiased std): ±0.866
        double[] grpo = perTrajectory(b, EST.assign(b, resolved(Map.of("grpo_weight", 1.99))));
        assertArrayEquals(
                new double[] {0.866025, 0.866025, -0.866025, -0.866025},
                java.util.Arrays.copyOfRange(grpo, 0, 4),
                1e-5);
        // Dr.GRPO: no std; all-equal groups give 0
        double[] dr =
                perTrajectory(b, EST.assign(b, resolved(Map.of("grpo_weight", 1.0, "norm_adv_by_std_in_grpo", false))));
        assertEquals(0.75, dr[4], 1e-12);
    }

    @Test
    void singletonGroupsReferenceVersusCorrected() {
        Rollouts b = groups(new double[] {1}, new double[] {1, 0, 1}, new double[] {0.25, 0.75});
        double[] ref = perTrajectory(b, EST.assign(b, resolved("reference", Map.of())));
        // the reference: mu = 0, sigma = 1 → hard = a/(2 eps) explodes (golden case singleton_group_mean0_std1_quirk)
        assertEquals(75617.35, ref[0], 0.1);
        double[] fixed = perTrajectory(b, EST.assign(b, resolved(Map.of())));
        assertEquals(0.0, fixed[0], 0.0);
        // the corrected m leaves the singleton out: (2/3 + 1/2) / 2
        assertEquals(
                (2.0 / 3 + 0.5) / 2,
                EST.assign(b, resolved(Map.of())).diagnostics().get("batch_accuracy"),
                1e-12);
    }

    @Test
    void refusesBatchWithoutReward() {
        Rollouts b =
                Rollouts.builder().trajectory("g", "a").span(Role.POLICY, 1).build();
        assertThrows(
                RolloutException.class,
                () -> dev.apportion.core.credit.EstimatorRegistry.global()
                        .get(EST.id())
                        .assign(b, resolved(Map.of())));
    }
}
