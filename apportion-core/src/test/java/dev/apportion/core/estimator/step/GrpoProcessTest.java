package dev.apportion.core.estimator.step;

import static dev.apportion.core.testing.PaperBatches.start;
import static dev.apportion.core.testing.PaperBatches.step;
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

class GrpoProcessTest extends EstimatorContract {
    private final GrpoProcess est = new GrpoProcess();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(resolved(null, Map.of("source", "span_reward", "std", "population")));
    }

    private static Rollouts example() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b, "q", "a", Double.NaN, 2, "prm", 0.9, 0.2, 0.7);
        steps(b, "q", "b", Double.NaN, 3, "prm", 0.5, 0.5);
        return b.build();
    }

    @Test
    void normalizesOverAllStepRewardsOfTheGroupAndSumsLaterSteps() {
        Rollouts b = example();
        Credit c = est.assign(b);
        // R = {0.9, 0.2, 0.7, 0.5, 0.5}: mean 0.56, unbiased std 0.2607680962 (computed by hand);
        // token advantage = Σ of normalized rewards of its step and later steps
        double[] wantA = {0.4601772286093079, -0.8436582524503965, 0.5368734333775252};
        double[] wantB = {-0.4601772286093069, -0.23008861430465344};
        for (int k = 0; k < 3; k++) assertEquals(wantA[k], stepValue(b, c.advantages(), 0, k), 1e-5);
        for (int k = 0; k < 2; k++) assertEquals(wantB[k], stepValue(b, c.advantages(), 1, k), 1e-5);
        Credit pop = est.assign(b, resolved(null, Map.of("std", "population")));
        assertEquals(0.5144935495546319, stepValue(b, pop.advantages(), 0, 0), 1e-5);
    }

    @Test
    void spanRewardsAreTheSameInput() {
        RolloutsBuilder b = Rollouts.builder();
        double[][] r = {{0.9, 0.2, 0.7}, {0.5, 0.5}};
        for (int i = 0; i < 2; i++) {
            start(b, "q", i == 0 ? "a" : "b", Double.NaN);
            for (double x : r[i]) {
                b.span(dev.apportion.core.rollout.Role.POLICY, i == 0 ? 2 : 3, x, null, null);
                b.span(dev.apportion.core.rollout.Role.CONTEXT, 1);
            }
        }
        float[] want = est.assign(example()).advantages();
        float[] got = est.assign(b.build(), resolved(null, Map.of("source", "span_reward")))
                .advantages();
        assertClose(want, got, "span rewards vs prm signal");
    }

    @Test
    void equalRewardsAndTooFewRewardsGiveZero() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b, "same", "a", Double.NaN, 2, "prm", 0.3, 0.3);
        steps(b, "same", "b", Double.NaN, 2, "prm", 0.3);
        steps(b, "alone", "c", Double.NaN, 2, "prm", 0.8);
        float[] a = est.assign(b.build()).advantages();
        for (float x : a) assertEquals(0f, x, 0f);
    }

    @Test
    void missingStepRewardIsNamed() {
        RolloutsBuilder b = Rollouts.builder();
        start(b, "q", "a", Double.NaN);
        step(b, 2, "prm", 0.4);
        step(b, 2, "other", 1.0);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b.build()));
        assertTrue(e.getMessage().contains("step 1") && e.getMessage().contains("signals.prm"), e.getMessage());
        assertEquals(0, e.trajectory());
    }
}
