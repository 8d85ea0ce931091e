package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class AppoTest extends EstimatorContract {
    private final Appo est = new Appo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(Params.defaults(est.descriptor()), resolved(null, Map.of("kappa", 0.0)));
    }

    /**
     * The notes' example: H = [2.0, 0.1, 1.5], Ω = [0.05, 0.9, 0.6]. Normalised: H/2 = [1, .05, .75],
     * Ω/.9 = [.0556, 1, .6667]; BS = [.0556, .05, .5]: the high-entropy token 0 is filtered out and
     * position 2 is chosen, then 0, then 1.
     */
    @Test
    void branchPointSelection() {
        float[] h = {2.0f, 0.1f, 1.5f};
        float[] o = {0.05f, 0.9f, 0.6f};
        byte[] m = {1, 1, 1};
        double[] bs = Appo.branchingScores(h, o, m, 0, 3);
        assertClose(
                new float[] {0.0555556f, 0.05f, 0.5f}, new float[] {(float) bs[0], (float) bs[1], (float) bs[2]}, "BS");
        assertArrayEquals(new int[] {2}, Appo.selectBranchPoints(h, o, m, 0, 3, 1));
        assertArrayEquals(new int[] {2, 0, 1}, Appo.selectBranchPoints(h, o, m, 0, 3, 5));
        // a context token is never chosen
        assertArrayEquals(new int[] {0}, Appo.selectBranchPoints(h, o, new byte[] {1, 1, 0}, 0, 3, 1));
    }

    /**
     * By hand: roots r1 (R 1), r2 (R 0): mean .5, std .70711 → ±.70711 on all policy tokens.
     * Branches at point 2 (Ω .6): b1 (R 1), b2 (R 0) → ±.70711; at point 1 (Ω .3): b3 (R 1), b4 (R 1) → 0.
     * max Ω = .6 → s = 1 + .5·.6/.6 = 1.5 for point 2: ±1.06066 on tokens 2.. ; prefix tokens 0.
     */
    @Test
    void dualGroupWorkedExample() {
        RolloutsBuilder b = Rollouts.builder();
        member(b, "r1", 1, -1, 0);
        member(b, "r2", 0, -1, 0);
        member(b, "b1", 1, 2, 0.6);
        member(b, "b2", 0, 2, 0.6);
        member(b, "b3", 1, 1, 0.3);
        member(b, "b4", 1, 1, 0.3);
        Rollouts batch = b.build();
        float[] a = est.assign(batch).advantages();
        float r = 0.707107f;
        float s = 1.06066f;
        assertClose(
                new float[] {0, r, r, r, 0, -r, -r, -r, 0, 0, s, s, 0, 0, -s, -s, 0, 0, 0, 0, 0, 0, 0, 0}, a, "appo");
    }

    /** Group "q" member {@code id}: one context token, three policy tokens; a branch when {@code point} ≥ 0. */
    private static void member(RolloutsBuilder b, String id, double outcome, int point, double omega) {
        b.trajectory("q", id).outcome(outcome);
        if (point >= 0) b.signal("branch_point", point).signal("branch_omega", omega);
        b.span(Role.CONTEXT, 1).span(Role.POLICY, 3);
    }

    @Test
    void badBranchPointIsNamed() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "b")
                .outcome(1)
                .signal("branch_point", 9)
                .span(Role.POLICY, 3)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("branch_point") && e.getMessage().contains("9"), e.getMessage());
    }
}
