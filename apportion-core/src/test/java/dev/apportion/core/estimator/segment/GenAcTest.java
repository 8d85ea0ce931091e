package dev.apportion.core.estimator.segment;

import static dev.apportion.core.testing.PaperBatches.stepValue;
import static dev.apportion.core.testing.PaperBatches.steps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.step.VinePpo;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GenAcTest extends EstimatorContract {
    private static final String V = "critic_value";
    private final GenAc est = new GenAc();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("value_signal", "info_gain")),
                resolved("monte_carlo", Map.of("value_signal", "prm", "whiten", false)));
    }

    @Test
    void notesGaeExampleOverSegments() {
        // notes §21: r = [0, 0, 1], V = [0.5, 0.6, 0.8], γ = 1, λ = 0.95 → A = [0.4705, 0.39, 0.2], returns [0.9705,
        // 0.99, 1.0]
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "a", 1.0, 3, V, 0.5, 0.6, 0.8);
        Rollouts b = rb.build();
        Credit c = est.assign(b, resolved(null, Map.of("whiten", false)));
        double[] a = {0.4705, 0.39, 0.2};
        double[] r = {0.9705, 0.99, 1.0};
        for (int k = 0; k < 3; k++) {
            assertEquals(a[k], stepValue(b, c.advantages(), 0, k), 1e-6);
            assertEquals(r[k], stepValue(b, c.returns(), 0, k), 1e-6);
        }
    }

    @Test
    void lambdaZeroIsVinePposFormula() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "a", 1.0, 2, V, 0.5, 0.7, 0.2);
        steps(rb, "q", "b", 0.0, 3, V, 0.5, 0.1);
        Rollouts b = rb.build();
        VinePpo vine = new VinePpo();
        for (boolean whiten : new boolean[] {false, true}) {
            float[] g = est.assign(b, resolved(null, Map.of("lambda", 0.0, "whiten", whiten)))
                    .advantages();
            float[] v = vine.assign(
                            b, Params.resolve(vine.descriptor(), null, Map.of("value_signal", V, "whiten", whiten)))
                    .advantages();
            assertClose(v, g, "λ = 0 vs vineppo, whiten " + whiten);
        }
    }

    @Test
    void everySegmentNeedsACriticValue() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "a", 1.0, 2, V, 0.5, Double.NaN);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(rb.build()));
        assertTrue(e.getMessage().contains("critic_value") && e.getMessage().contains("step 1"), e.getMessage());
    }
}
