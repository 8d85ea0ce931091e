package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MaltTest extends EstimatorContract {
    private final Malt est = new Malt();
    private static final double TOL = 1e-6;

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The reference notes' tree: one generator output g1, three verifier outputs, three refinements each. */
    private static final int[][] OUTCOMES = {{1, 1, 0}, {0, 0, 0}, {1, 0, 0}};

    private static Rollouts tree() {
        RolloutsBuilder b = Rollouts.builder();
        for (int v = 0; v < 3; v++) {
            for (int r = 0; r < 3; r++) {
                b.trajectory("question", "v" + v + "r" + r)
                        .outcome(OUTCOMES[v][r])
                        .span(Role.CONTEXT, 2)
                        .span(Role.POLICY, 3, Double.NaN, "question", "generator")
                        .span(Role.CONTEXT, 1)
                        .span(Role.POLICY, 2, Double.NaN, "g1", "verifier")
                        .span(Role.CONTEXT, 1)
                        .span(Role.POLICY, 2, Double.NaN, "g1/v" + v, "refiner");
            }
        }
        return b.build();
    }

    /**
     * V(v) = mean of its refinements = [2/3, 0, 1/3]; V(g) = mean of the verifiers = 1/3.
     * Labels (threshold 0.5): v1 correct, v2 and v3 incorrect with a correct sibling (DPO rejected),
     * g incorrect without siblings (0). Refinements under v1: +1, +1, -1; under v2 (no correct
     * sibling): 0, 0, 0; under v3: +1, -1, -1. DPO pairs: 2 (verifiers) + 2 (v1) + 2 (v3) = 6.
     */
    @Test
    void workedExampleLabels() {
        Rollouts batch = tree();
        Credit c = est.assign(batch);
        float[] a = c.advantages();
        double[][] refiner = {{1, 1, -1}, {0, 0, 0}, {1, -1, -1}};
        double[] verifier = {1, -1, -1};
        for (int v = 0; v < 3; v++) {
            for (int r = 0; r < 3; r++) assertTurns(batch, a, 3 * v + r, TOL, 0, verifier[v], refiner[v][r]);
        }
        assertTurnConstant(batch, a);
        assertEquals(6.0, c.diagnostics().get("dpo_pairs"));
        assertEquals(1 + 3 + 9, c.diagnostics().get("nodes"));
    }

    /** Value mode: V(node) - V(parent): refiners 1 - 2/3 etc., verifiers [1/3, -1/3, 0], generator 0 (root = itself). */
    @Test
    void workedExampleValues() {
        Rollouts batch = tree();
        float[] a = est.assign(batch, resolved(null, Map.of("credit", "value"))).advantages();
        double[] vv = {2.0 / 3, 0, 1.0 / 3};
        for (int v = 0; v < 3; v++) {
            for (int r = 0; r < 3; r++) {
                assertTurns(batch, a, 3 * v + r, TOL, 0, vv[v] - 1.0 / 3, OUTCOMES[v][r] - vv[v]);
            }
        }
    }

    /** One trajectory is a chain: label +1 or 0 (no siblings), value 0 everywhere. */
    /** One trajectory: a generator turn (state "q") then a verifier turn (state "g"), with {@code outcome}. */
    private static Rollouts chain(double outcome) {
        return Rollouts.builder()
                .trajectory("q", "t")
                .outcome(outcome)
                .span(Role.POLICY, 1, Double.NaN, "q", "generator")
                .span(Role.POLICY, 1, Double.NaN, "g", "verifier")
                .build();
    }

    @Test
    void singleTrajectoryChain() {
        Rollouts win = chain(1);
        assertTurns(win, est.assign(win).advantages(), 0, 0.0, 1, 1);
        Rollouts loss = chain(0);
        assertTurns(loss, est.assign(loss).advantages(), 0, 0.0, 0, 0);
        assertTurns(
                win, est.assign(win, resolved(null, Map.of("credit", "value"))).advantages(), 0, 0.0, 0, 0);
    }

    /** Two generator outputs as siblings at the root; a lower threshold changes the labels. */
    @Test
    void rootSiblingsAndThreshold() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("q", "a")
                .outcome(1)
                .span(Role.POLICY, 1, Double.NaN, "q", "g")
                .span(Role.POLICY, 1, Double.NaN, "ga", "v");
        b.trajectory("q", "b")
                .outcome(0.3)
                .span(Role.POLICY, 1, Double.NaN, "q", "g")
                .span(Role.POLICY, 1, Double.NaN, "gb", "v");
        Rollouts batch = b.build();
        assertTurns(batch, est.assign(batch).advantages(), 0, 0.0, 1, 1);
        assertTurns(batch, est.assign(batch).advantages(), 1, 0.0, -1, 0);
        float[] low =
                est.assign(batch, resolved(null, Map.of("threshold", 0.2))).advantages();
        assertTurns(batch, low, 1, 0.0, 1, 1);
    }

    @Test
    void needsStatesAndOutcomes() {
        Rollouts noState = Rollouts.builder()
                .trajectory("q", "t")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(noState));
        Rollouts noOutcome = Rollouts.builder()
                .trajectory("q", "t")
                .span(Role.POLICY, 1, 0.5, "s", "g")
                .build();
        assertThrows(RolloutException.class, () -> est.assign(noOutcome));
    }
}
