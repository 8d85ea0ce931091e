package dev.apportion.core.estimator.segment;

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
import dev.apportion.core.testing.PaperBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrlTest extends EstimatorContract {
    private static final String V = "subproblem_correct";
    private final Scrl est = new Scrl();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("verdict_signal", "prm")),
                resolved("population_std", Map.of("verdict_signal", "prm", "missing", "skip")),
                resolved(null, Map.of("verdict_signal", "prm", "progress", "independent")));
    }

    /** The notes' G = 4, K = 3 example. */
    private static Rollouts notesExample() {
        double[][] v = {{1, 1, 0}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}};
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 4; i++) steps(b, "hard", "r" + i, 0.0, 2 + i, V, v[i]);
        return b.build();
    }

    @Test
    void notesWorkedExampleUnbiased() {
        Rollouts b = notesExample();
        float[] a = est.assign(b).advantages();
        // progress rewards [[1,1,0],[1,0,0],[0,0,0],[1,1,1]]
        double s3 = Math.sqrt(3) / 2; // 0.866
        double[][] want = {{0.5, s3, -0.5}, {0.5, -s3, -0.5}, {-1.5, -s3, -0.5}, {0.5, s3, 1.5}};
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 3; k++) assertEquals(want[i][k], stepValue(b, a, i, k), 1e-5, "r" + i + " k" + k);
        }
    }

    @Test
    void notesWorkedExamplePopulation() {
        Rollouts b = notesExample();
        float[] a = est.assign(b, resolved("population_std", Map.of())).advantages();
        double r3 = 1 / Math.sqrt(3); // 0.577
        double[][] want = {{r3, 1, -r3}, {r3, -1, -r3}, {-3 * r3, -1, -r3}, {r3, 1, 3 * r3}};
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 3; k++) assertEquals(want[i][k], stepValue(b, a, i, k), 1e-5, "r" + i + " k" + k);
        }
    }

    @Test
    void independentProgressUsesTheVerdictAlone() {
        Rollouts b = notesExample();
        float[] a =
                est.assign(b, resolved(null, Map.of("progress", "independent"))).advantages();
        // position 2 verdicts [0, 1, 1, 1]: mean 0.75, unbiased std 0.5
        assertEquals(-1.5, stepValue(b, a, 0, 2), 1e-5);
        assertEquals(0.5, stepValue(b, a, 1, 2), 1e-5);
    }

    @Test
    void missingPositionsFailOrSkip() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "q", "long", 0.0, 2, V, 1, 1);
        steps(rb, "q", "short", 0.0, 2, V, 1);
        Rollouts b = rb.build();
        Credit fail = est.assign(b);
        assertEquals(0.0, stepValue(b, fail.advantages(), 0, 0), 0);
        // position 1: [1, 0 (unanswered)]: mean 0.5, unbiased std √0.5
        assertEquals(0.5 / (Math.sqrt(0.5) + 1e-6), stepValue(b, fail.advantages(), 0, 1), 1e-6);
        Credit skip = est.assign(b, resolved(null, Map.of("missing", "skip")));
        assertEquals(0.0, stepValue(b, skip.advantages(), 0, 1), 0);
    }

    @Test
    void allTiedPositionsAndSingletonsGetZero() {
        RolloutsBuilder rb = Rollouts.builder();
        steps(rb, "tied", "a", 0.0, 2, V, 1, 0);
        steps(rb, "tied", "b", 0.0, 2, V, 1, 0);
        steps(rb, "alone", "c", 0.0, 2, V, 1, 1);
        for (float x : est.assign(rb.build()).advantages()) assertEquals(0f, x, 0f);
    }

    @Test
    void missingVerdictIsNamed() {
        RolloutsBuilder rb = Rollouts.builder();
        PaperBatches.start(rb, "q", "a", 0.0);
        PaperBatches.step(rb, 2, V, 1.0);
        PaperBatches.step(rb, 2, "other", 1.0);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(rb.build()));
        assertTrue(
                e.getMessage().contains("signals.subproblem_correct")
                        && e.getMessage().contains("step 1"),
                e.getMessage());
    }
}
