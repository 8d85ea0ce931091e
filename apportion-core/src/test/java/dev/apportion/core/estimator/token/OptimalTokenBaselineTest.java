package dev.apportion.core.estimator.token;

import static dev.apportion.core.estimator.token.TokenTesting.assertValues;
import static dev.apportion.core.estimator.token.TokenTesting.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimalTokenBaselineTest extends EstimatorContract {
    private final OptimalTokenBaseline otb = new OptimalTokenBaseline();

    @Override
    protected Estimator estimator() {
        return otb;
    }

    /** p = exp(old_logprob) = .5 on every token; w = 1 − 2p + Σπ² = Σπ² − 0 = {@code sumPiSq}. */
    static RolloutsBuilder traj(
            RolloutsBuilder b, String group, String id, double outcome, float sumPiSq, Object... spans) {
        b.trajectory(group, id).outcome(outcome);
        int n = 0;
        for (int k = 0; k < spans.length; k += 2) {
            b.span((Role) spans[k], (Integer) spans[k + 1]);
            n += (Integer) spans[k + 1];
        }
        float[] lp = new float[n];
        Arrays.fill(lp, (float) Math.log(0.5));
        float[] s = new float[n];
        Arrays.fill(s, sumPiSq);
        return b.tokenSignal(Rollouts.OLD_LOGPROB, lp).tokenSignal(OtbKernel.SUM_PI_SQUARED, s);
    }

    /** Constant w: the baseline is the per-position group mean (framework-estimators.md §1.3, [0.5, −0.5]). */
    @Test
    void constantWeightsGiveTheGroupMeanPerPosition() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.CONTEXT, 2, Role.POLICY, 2);
        traj(b, "g", "b", 0, 0.5f, Role.CONTEXT, 2, Role.POLICY, 2);
        Credit c = otb.assign(b.build());
        assertValues(new double[] {0, 0, 0.5, 0.5, 0, 0, -0.5, -0.5}, c.advantages(), 0, "advantages");
        assertValues(new double[] {0, 0, 1, 1, 0, 0, 0, 0}, c.returns(), 0, "returns");
    }

    @Test
    void baselineWeighsByCumulativePathVariance() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 2); // w .5 → W [.5, 1]
        traj(b, "g", "b", 0, 0.25f, Role.POLICY, 2); // w .25 → W [.25, .5]
        Rollouts batch = b.build();
        Credit c = otb.assign(batch); // B = (1·W_a)/(W_a + W_b) = 2/3 at both positions
        assertValues(new double[] {1 / 3.0, 1 / 3.0, -2 / 3.0, -2 / 3.0}, c.advantages(), 0, "advantages");
    }

    @Test
    void rolloutImportanceWeightsScaleWBySquare() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 2).tokenSignal(OtbKernel.ROLLOUT_IS_WEIGHT, new float[] {1, 1});
        traj(b, "g", "b", 0, 0.25f, Role.POLICY, 2).tokenSignal(OtbKernel.ROLLOUT_IS_WEIGHT, new float[] {2, 2});
        Rollouts batch = b.build();
        Credit c = otb.assign(batch); // w_b = .25·4 = 1 → B = .5/(1.5) = 1/3
        assertValues(new double[] {2 / 3.0, 2 / 3.0, -1 / 3.0, -1 / 3.0}, c.advantages(), 0, "advantages");
        assertEquals(1.0, c.diagnostics().get("rollout_is_weighted"));
        Credit off = otb.assign(batch, params(otb, null, Map.of("rollout_is_weights", false)));
        assertValues(new double[] {1 / 3.0, 1 / 3.0, -2 / 3.0, -2 / 3.0}, off.advantages(), 0, "weights ignored");
    }

    @Test
    void singletonGroupHasNoBaseline() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 2);
        traj(b, "h", "b", 0.5, 0.5f, Role.POLICY, 1);
        Credit c = otb.assign(b.build());
        assertValues(new double[] {1, 1, 0.5}, c.advantages(), 0, "A = G");
    }

    @Test
    void zeroTailDropsTheBaselineBeyondTheSecondLongest() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 3); // W [.5, 1, 1.5]
        traj(b, "g", "b", 0, 0.5f, Role.POLICY, 1); // W [.5]
        Rollouts batch = b.build();
        // B_0 = .5, B_1 = B_2 = 1 (a alone)
        assertValues(new double[] {0.5, 0, 0, -0.5}, otb.assign(batch).advantages(), 0, "no zero tail");
        assertValues(
                new double[] {0.5, 1, 1, -0.5},
                otb.assign(batch, params(otb, null, Map.of("handle_zero_tail", true)))
                        .advantages(),
                0,
                "zero tail");
        // a tie at the longest length: no zero tail
        RolloutsBuilder t = Rollouts.builder();
        traj(t, "g", "a", 1, 0.5f, Role.POLICY, 3);
        traj(t, "g", "b", 0, 0.5f, Role.POLICY, 1);
        traj(t, "g", "c", 1, 0.5f, Role.POLICY, 3);
        float[] a = otb.assign(t.build(), params(otb, null, Map.of("handle_zero_tail", true)))
                .advantages();
        assertEquals(0f, a[1], 1e-6f);
    }

    @Test
    void positionsStartAtTheFirstPolicyTokenOrAtTheTrajectoryStart() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.CONTEXT, 2, Role.POLICY, 1);
        traj(b, "g", "b", 0, 0.5f, Role.CONTEXT, 1, Role.POLICY, 1);
        Rollouts batch = b.build();
        assertValues(
                new double[] {0, 0, 0.5, 0, -0.5}, otb.assign(batch).advantages(), 0, "aligned on the response start");
        // from the trajectory start, the two policy tokens sit at different positions: each is its own baseline
        assertValues(
                new double[] {0, 0, 0, 0, 0},
                otb.assign(batch, params(otb, null, Map.of("positions_from", "trajectory_start")))
                        .advantages(),
                0,
                "aligned on the first token");
    }

    @Test
    void emptyTrajectoryCountsInTheGroup() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 1);
        traj(b, "g", "e", 0, 0.5f, Role.CONTEXT, 1);
        // verl counts the empty row: N = 2, the baseline is a's own G·W/(W + ε) ≈ 1
        assertValues(new double[] {0, 0}, otb.assign(b.build()).advantages(), 0, "advantages");
    }

    @Test
    void missingSignalsAreNamed() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-1})
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> otb.assign(b));
        assertTrue(e.getMessage().contains("'sum_pi_squared'") && e.getMessage().contains("actor"), e.getMessage());
        Rollouts c = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        RolloutException f = assertThrows(RolloutException.class, () -> otb.assign(c));
        assertTrue(f.getMessage().contains("'old_logprob'"), f.getMessage());
    }

    @Test
    void twoThreadsAreBitIdentical() {
        TokenTesting.assertParallelBitIdentical(otb, params(otb, null, Map.of()));
        TokenTesting.assertParallelBitIdentical(otb, params(otb, null, Map.of("handle_zero_tail", true)));
    }
}
