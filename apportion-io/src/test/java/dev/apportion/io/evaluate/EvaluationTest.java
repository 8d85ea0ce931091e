package dev.apportion.io.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.RankStatistics;
import dev.apportion.io.FakeEstimator;
import dev.apportion.io.importer.TrajectoryLabels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The metrics against a hand-computed example with ties. Spans (all policy, one token each):
 * A = s0..s2 (failed), B = s3..s4 (solved), C = s5..s6 (failed).
 * <pre>
 *   credit  A: 0.5  0.2  0.2   B: 0.2  0.9   C: -0.1 -0.1
 *   label   A: +1   -1   -1    B: +1   0     C: +1   -1     first errors: A 1, C 1
 * </pre>
 * AUROC over all: positives {0.5, 0.2, -0.1} vs negatives {0.2, 0.2, -0.1}: 0.5 beats all three
 * (3); 0.2 ties two and beats one (2); -0.1 loses two and ties one (0.5): 5.5 / 9.
 * Within failed (A, C): {0.5, -0.1} vs {0.2, 0.2, -0.1}: 3 + 0.5 = 3.5 / 6.
 * Spearman: credit midranks [6, 4, 4, 4, 7, 1.5, 1.5], label midranks [6, 2, 2, 6, 4, 6, 2];
 * both mean 4; Σdxdy = 4, Σdx² = 25.5, Σdy² = 24: 4 / √612.
 * First error: A's minimum 0.2 is shared by s1 (the error) and s2: 1/2; C's by both turns: 1/2;
 * mean 0.5. Within trajectories: A's +1 (0.5) beats its two -1 turns (0.2, 0.2); B has no -1;
 * C's +1 ties its -1 (-0.1): 2.5 / 3.
 */
class EvaluationTest {
    static Rollouts batch() {
        var b = Rollouts.builder();
        b.trajectory("g", "A")
                .outcome(0)
                .span(Role.POLICY, 1)
                .span(Role.POLICY, 1)
                .span(Role.POLICY, 1);
        b.trajectory("g", "B").outcome(1).span(Role.POLICY, 1).span(Role.POLICY, 1);
        b.trajectory("g", "C").outcome(0).span(Role.POLICY, 1).span(Role.POLICY, 1);
        return b.build();
    }

    static List<TrajectoryLabels> labels() {
        return List.of(
                new TrajectoryLabels("g", "A", Arrays.asList(1, -1, -1), 1),
                new TrajectoryLabels("g", "B", Arrays.asList(1, 0), null),
                new TrajectoryLabels("g", "C", Arrays.asList(1, -1), 1));
    }

    static final float[] CREDIT = {0.5f, 0.2f, 0.2f, 0.2f, 0.9f, -0.1f, -0.1f};

    @Test
    void handComputedExampleWithTies() {
        Evaluation.Aligned a = Evaluation.align(batch(), labels(), "labels.jsonl");
        Evaluation.Metrics m = Evaluation.metrics(CREDIT, a, new int[] {0, 1, 2});
        assertEquals(5.5 / 9, m.aurocAll(), 1e-12);
        assertEquals(3.5 / 6, m.aurocWithinFailed(), 1e-12);
        assertEquals(4 / Math.sqrt(612), m.spearman(), 1e-12);
        assertEquals(0.5, m.firstErrorAccuracy(), 1e-12);
        assertEquals(2.5 / 3, m.aurocWithinTrajectory(), 1e-12);
    }

    @Test
    void throughAnEstimatorWithBootstrap() {
        Estimator fixed = FakeEstimator.of("fixed", Granularity.TURN, b -> {
            float[] adv = CREDIT.clone();
            return Credit.builder(adv).spanAdvantages(CREDIT.clone()).build();
        });
        Estimator lacking = FakeEstimator.of("lacking", Granularity.TURN, b -> {
            throw new RolloutException(
                    "estimator 'lacking' needs the token signal 'value' (the critic), which the batch lacks",
                    -1,
                    "token_signals.value");
        });
        Rollouts batch = batch();
        Evaluation.Aligned a = Evaluation.align(batch, labels(), "labels.jsonl");
        Evaluation.Report r = Evaluation.run(batch, a, List.of(fixed, lacking), 200, 7);
        assertEquals(1, r.estimators().size());
        Evaluation.Result res = r.estimators().get(0);
        assertEquals(5.5 / 9, res.metrics().aurocAll(), 1e-12);
        assertEquals(5, res.ci95().length);
        for (int k = 0; k < 5; k++) {
            assertTrue(res.ci95()[k][0] <= res.ci95()[k][1], "interval ordered");
        }
        assertTrue(res.ci95()[0][0] <= 5.5 / 9 && 5.5 / 9 <= res.ci95()[0][1]);
        assertEquals(
                List.of(new Evaluation.Skipped(
                        "lacking",
                        "estimator 'lacking' needs the token signal 'value' (the critic), which the batch lacks")),
                r.skipped());
        // fixed seed: the same intervals again
        Evaluation.Report again = Evaluation.run(batch, a, List.of(fixed), 200, 7);
        for (int k = 0; k < 5; k++)
            assertArrayEquals(res.ci95()[k], again.estimators().get(0).ci95()[k]);
        assertEquals(3, r.data().get("turns_minus"));
        assertEquals(2, r.data().get("failed_labelled_trajectories"));
    }

    @Test
    void outcomeLevelCreditIsAllTiesWithinATrajectory() {
        // every turn of a trajectory gets the same credit: within one trajectory nothing is separated
        float[] flat = {0.3f, 0.3f, 0.3f, 0.7f, 0.7f, -0.4f, -0.4f};
        Evaluation.Aligned a = Evaluation.align(batch(), labels(), "l");
        Evaluation.Metrics m = Evaluation.metrics(flat, a, new int[] {0});
        assertEquals(0.5, m.aurocAll(), 1e-12);
        assertEquals(1.0 / 3, m.firstErrorAccuracy(), 1e-12);
        assertEquals(0.5, m.aurocWithinTrajectory(), 1e-12, "constant within a trajectory: exactly one half");
    }

    @Test
    void labelsMustFitTheRollouts() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Evaluation.align(
                        batch(), List.of(new TrajectoryLabels("g", "A", Arrays.asList(1, 1), null)), "labels.jsonl"));
        assertTrue(
                e.getMessage()
                        .contains(
                                "labels.jsonl: labels line 1: trajectory 'A' (group 'g') has 2 labels but 3 policy spans"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Evaluation.align(
                        batch(), List.of(new TrajectoryLabels("h", "A", Arrays.asList(1), null)), "labels.jsonl"));
        assertTrue(e.getMessage().contains("names trajectory 'A' of group 'h'"), e.getMessage());
    }

    @Test
    void ranks() {
        assertArrayEquals(new double[] {2.5, 1, 2.5, 4}, RankStatistics.midranks(new double[] {3, 1, 3, 7}, 4));
        assertEquals(1.0, RankStatistics.auroc(new double[] {2}, 1, new double[] {1}, 1));
        assertEquals(0.5, RankStatistics.auroc(new double[] {1}, 1, new double[] {1}, 1));
        assertTrue(Double.isNaN(RankStatistics.auroc(new double[0], 0, new double[] {1}, 1)));
    }
}
