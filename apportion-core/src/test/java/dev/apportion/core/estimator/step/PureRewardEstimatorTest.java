package dev.apportion.core.estimator.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PureRewardEstimatorTest extends EstimatorContract {
    private static final PureRewardEstimator EST = new PureRewardEstimator();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(
                resolved(Map.of("disable_weighted_reward", true)),
                resolved(Map.of("temperature", 0.02)),
                resolved(Map.of("credit_form", "sum")));
    }

    /** One trajectory: a context prompt, then one policy span per step (2 tokens each) with prm = p. */
    static Rollouts steps(double... p) {
        RolloutsBuilder b = Rollouts.builder().trajectory("g", "t").span(Role.CONTEXT, 3);
        for (double x : p) b.span(Role.POLICY, 2).spanSignal(PureSteps.PRM, x);
        return b.build();
    }

    static double[] perStep(Rollouts b, float[] perSpan) {
        List<Double> out = new ArrayList<>();
        for (int s = 0; s < b.spanCount(); s++) if (b.isPolicySpan(s)) out.add((double) perSpan[s]);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** framework-estimators.md §5.1, checked on the reference: p = [.9, .2, .8] → weighted [6.7e-7, -0.59999, 3.7e-6]. */
    @Test
    void notesExampleWeighted() {
        Rollouts b = steps(0.9, 0.2, 0.8);
        Credit c = EST.assign(b, resolved(Map.of()));
        double[] g = perStep(b, c.spanAdvantages());
        double p2 = 3.7e-6;
        double p1 = -0.59999;
        double p0 = 6.7e-7;
        assertArrayEquals(new double[] {p0 + p1 + p2, p1 + p2, p2}, g, 1e-5); // the notes give 5 digits
        // the outcome reward (sum of weighted step rewards) is the first step's return
        assertEquals(-0.59999, g[0], 1e-5);
        for (int t = 0; t < 3; t++) assertEquals(0f, c.advantages()[t], 0f, "prompt tokens");
        assertEquals(c.advantages()[3], c.advantages()[4], 0f, "a step's tokens share its return");
        assertEquals(g[0], c.advantages()[3], 1e-7);
    }

    @Test
    void notesExampleUnweightedIsTheMean() {
        Rollouts b = steps(0.9, 0.2, 0.8);
        Credit c = EST.assign(b, resolved(Map.of("disable_weighted_reward", true)));
        double[] g = perStep(b, c.spanAdvantages());
        // r = [0.8, -0.6, 0.6] / 3 = [0.2667, -0.2, 0.2]
        assertArrayEquals(new double[] {0.8 / 3 - 0.2 + 0.2, 0.0, 0.2}, g, 1e-6);
    }

    /**
     * methods-reasoning.md §1: "sum-form gives [0.6, −0.2, 0.4]" for p = [0.9, 0.2, 0.7]; the
     * uniform-weight switch gives a third of that (the mean, not a sum).
     */
    @Test
    void sumFormIsTheCumulativeSumOfTheStepScores() {
        Rollouts b = steps(0.9, 0.2, 0.7);
        double[] uniform = perStep(
                b,
                EST.assign(b, resolved(Map.of("disable_weighted_reward", true))).spanAdvantages());
        assertArrayEquals(new double[] {0.2, -0.2 / 3, 0.4 / 3}, uniform, 1e-6);
        double[] sum =
                perStep(b, EST.assign(b, resolved(Map.of("credit_form", "sum"))).spanAdvantages());
        assertArrayEquals(new double[] {0.6, -0.2, 0.4}, sum, 1e-6);
        // padding with a step the PRM likes inflates the sum, not the min-form return
        Rollouts padded = steps(0.9, 0.2, 0.7, 0.9, 0.9);
        double[] sumPadded = perStep(
                padded,
                EST.assign(padded, resolved(Map.of("credit_form", "sum"))).spanAdvantages());
        assertEquals(2.2, sumPadded[0], 1e-6);
        double[] minPadded =
                perStep(padded, EST.assign(padded, resolved(Map.of())).spanAdvantages());
        assertEquals(-0.6, minPadded[0], 1e-3);
    }

    /** methods-reasoning.md §1: p = [0.9, 0.2, 0.7], T = 0.1 → step returns [-0.599953, -0.599954, 1.8e-5]. */
    @Test
    void methodsExampleStepReturnsApproachTheMinimumThenZero() {
        Rollouts b = steps(0.9, 0.2, 0.7);
        double[] g = perStep(b, EST.assign(b, resolved(Map.of())).spanAdvantages());
        assertArrayEquals(new double[] {-0.599953, -0.599954, 1.8159e-05}, g, 2e-6);
        // T → 0 gives the hard minimum at the first steps and ~0 after the worst step (the paper's caveat)
        double[] cold =
                perStep(b, EST.assign(b, resolved(Map.of("temperature", 1e-3))).spanAdvantages());
        assertArrayEquals(new double[] {-0.6, -0.6, 0.0}, cold, 1e-7); // prm is stored as float32
    }

    @Test
    void logitsAndProbabilitiesGiveTheSameScore() {
        double p = 0.8;
        Rollouts withLogits = Rollouts.builder()
                .trajectory("g", "t")
                .span(Role.POLICY, 1)
                .spanSignal(PureSteps.LOGIT0, 0.0)
                .spanSignal(PureSteps.LOGIT1, Math.log(p / (1 - p)))
                .span(Role.POLICY, 1)
                .spanSignal(PureSteps.LOGIT0, 1.0)
                .spanSignal(PureSteps.LOGIT1, 1.0)
                .build();
        Rollouts withProb = steps(p, 0.5);
        double[] a =
                perStep(withLogits, EST.assign(withLogits, resolved(Map.of())).spanAdvantages());
        double[] b = perStep(withProb, EST.assign(withProb, resolved(Map.of())).spanAdvantages());
        assertArrayEquals(b, a, 1e-6);
        // auto prefers the logits when both are present; "probability" forces prm
        assertThrows(
                RolloutException.class, () -> EST.assign(withLogits, resolved(Map.of("step_score", "probability"))));
        assertThrows(RolloutException.class, () -> EST.assign(withProb, resolved(Map.of("step_score", "logits"))));
    }

    @Test
    void refusesStepsWithoutScoreOrOutOfRange() {
        Rollouts missing = Rollouts.builder()
                .trajectory("g", "t")
                .span(Role.POLICY, 1)
                .spanSignal(PureSteps.PRM, 0.5)
                .span(Role.POLICY, 2)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(missing, resolved(Map.of())));
        assertTrue(e.getMessage().contains("spans[1].signals.prm"), e.getMessage());
        Rollouts bad = steps(0.5, 1.5);
        e = assertThrows(RolloutException.class, () -> EST.assign(bad, resolved(Map.of())));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
    }

    @Test
    void trajectoriesWithoutStepsGetZeroAndNeedNoScores() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "t")
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 0)
                .build();
        Credit c = EST.assign(b, resolved(Map.of()));
        assertArrayEquals(new float[2], c.advantages());
        assertEquals(0.0, c.diagnostics().get("steps"));
    }
}
