package dev.apportion.core.estimator.step;

import static dev.apportion.core.testing.PaperBatches.stepValue;
import static dev.apportion.core.testing.PaperBatches.steps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VinePpoTest extends EstimatorContract {
    private static final String V = "mc_value";
    private final VinePpo est = new VinePpo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("value_signal", "prm")),
                resolved(
                        "paper",
                        Map.of(
                                "value_signal",
                                "prm",
                                "whiten",
                                false,
                                "gamma",
                                0.9,
                                "step_rewards",
                                "outcome_and_span_rewards")));
    }

    private Params raw() {
        return resolved(null, Map.of("whiten", false));
    }

    @Test
    void oneStepTdOfMonteCarloValues() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "a", 1.0, 2, V, 0.5, 0.75, 0.25);
        Rollouts b = rb.build();
        Credit c = est.assign(b, raw());
        // A_k = r_k + V_{k+1} − V_k with V_3 = 0 and the outcome on the last step
        double[] want = {0.75 - 0.5, 0.25 - 0.75, 1.0 + 0 - 0.25};
        for (int k = 0; k < 3; k++) assertEquals(want[k], stepValue(b, c.advantages(), 0, k), 1e-6);
        // returns are the MC targets r_k + V_{k+1}
        assertEquals(0.75, stepValue(b, c.returns(), 0, 0), 1e-6);
        assertEquals(1.0, stepValue(b, c.returns(), 0, 2), 1e-6);
        // γ discounts the next value
        float[] g = est.assign(b, resolved(null, Map.of("whiten", false, "gamma", 0.5)))
                .advantages();
        assertEquals(0.5 * 0.75 - 0.5, stepValue(b, g, 0, 0), 1e-6);
    }

    @Test
    void trailingStepsWithoutValueAreFilledWithTheReturnAsInTheReference() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "a", 1.0, 2, V, 0.5, Double.NaN, Double.NaN);
        Rollouts b = rb.build();
        Credit c = est.assign(b, raw());
        // V_2 = r_2 + V_3 = 1, V_1 = r_1 + V_2 = 1: A = [1 − 0.5, 0, 0]
        assertEquals(0.5, stepValue(b, c.advantages(), 0, 0), 1e-6);
        assertEquals(0.0, stepValue(b, c.advantages(), 0, 1), 1e-6);
        assertEquals(0.0, stepValue(b, c.advantages(), 0, 2), 1e-6);
        assertEquals(2.0, c.diagnostics().get("values_filled_from_return"));
    }

    @Test
    void aMissingValueBeforeAPresentOneIsAnError() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "a", 1.0, 2, V, 0.5, Double.NaN, 0.3);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(rb.build()));
        assertTrue(e.getMessage().contains("step 1") && e.getMessage().contains("mc_value"), e.getMessage());
        RolloutsBuilder nb = Rollouts.builder();
        steps(nb, "q", "a", Double.NaN, 2, V, 0.5);
        RolloutException f = assertThrows(RolloutException.class, () -> est.assign(nb.build()));
        assertTrue(f.getMessage().contains("outcome"), f.getMessage());
    }

    @Test
    void whiteningIsTokenWeightedWithTheUnbiasedVariance() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "a", 1.0, 1, V, 0.5); // A = 0.5, 1 token
        steps(rb, "q", "b", 0.0, 3, V, 0.5); // A = −0.5, 3 tokens
        Rollouts b = rb.build();
        float[] a = est.assign(b).advantages();
        // tokens [0.5, −0.5, −0.5, −0.5]: mean −0.25, unbiased var = (0.5625 + 3·0.0625)/3 = 0.25
        double k = 1 / Math.sqrt(0.25 + 1e-8);
        assertEquals((0.5 + 0.25) * k, stepValue(b, a, 0, 0), 1e-5);
        assertEquals((-0.5 + 0.25) * k, stepValue(b, a, 1, 0), 1e-5);
    }

    @Test
    void spanRewardsCanBeAdded() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("q", "a").outcome(1.0).span(dev.apportion.core.rollout.Role.CONTEXT, 1);
        rb.span(dev.apportion.core.rollout.Role.POLICY, 2, 0.2, null, null).spanSignal(V, 0.5);
        rb.span(dev.apportion.core.rollout.Role.POLICY, 2).spanSignal(V, 0.6);
        Rollouts b = rb.build();
        Params p = resolved(null, Map.of("whiten", false, "step_rewards", "outcome_and_span_rewards"));
        float[] a = est.assign(b, p).advantages();
        assertEquals(0.2 + 0.6 - 0.5, a[1], 1e-6);
        assertEquals(1.0 - 0.6, a[3], 1e-6);
        assertEquals(0.6 - 0.5, est.assign(b, raw()).advantages()[1], 1e-6);
    }
}
