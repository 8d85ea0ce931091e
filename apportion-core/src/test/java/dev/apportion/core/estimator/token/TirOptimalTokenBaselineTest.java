package dev.apportion.core.estimator.token;

import static dev.apportion.core.estimator.token.OptimalTokenBaselineTest.traj;
import static dev.apportion.core.estimator.token.TokenTesting.assertValues;
import static dev.apportion.core.estimator.token.TokenTesting.params;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TirOptimalTokenBaselineTest extends EstimatorContract {
    private final TirOptimalTokenBaseline tir = new TirOptimalTokenBaseline();
    private final OptimalTokenBaseline otb = new OptimalTokenBaseline();

    @Override
    protected Estimator estimator() {
        return tir;
    }

    /** Two multi-turn trajectories whose observation blocks sit at different places. */
    private static Rollouts turns() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 2, Role.CONTEXT, 2, Role.POLICY, 1);
        traj(b, "g", "b", 0, 0.5f, Role.POLICY, 1, Role.CONTEXT, 1, Role.POLICY, 2);
        return b.build();
    }

    @Test
    void baselineAlignsOnTheKthPolicyToken() {
        Credit c = tir.assign(turns());
        assertValues(new double[] {0.5, 0.5, 0, 0, 0.5, -0.5, 0, -0.5, -0.5}, c.advantages(), 0, "TIR");
        // the absolute-position variant only shares position 0 between the two
        Credit d = otb.assign(turns());
        assertValues(new double[] {0.5, 0, 0, 0, 0, -0.5, 0, 0, 0}, d.advantages(), 0, "OTB");
    }

    @Test
    void emptyTrajectoriesLeaveTheGroup() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 1);
        traj(b, "g", "e", 0, 0.5f, Role.CONTEXT, 1);
        // unlike OTB, the empty row does not count: a is alone, A = G
        assertValues(new double[] {1, 0}, tir.assign(b.build()).advantages(), 0, "advantages");
    }

    @Test
    void zeroTailIsOnByDefault() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, 0.5f, Role.POLICY, 1, Role.CONTEXT, 1, Role.POLICY, 2);
        traj(b, "g", "b", 0, 0.5f, Role.POLICY, 1);
        Rollouts batch = b.build();
        assertValues(new double[] {0.5, 0, 1, 1, -0.5}, tir.assign(batch).advantages(), 0, "default");
        assertValues(
                new double[] {0.5, 0, 0, 0, -0.5},
                tir.assign(batch, params(tir, null, Map.of("handle_zero_tail", false)))
                        .advantages(),
                0,
                "off");
    }

    @Test
    void twoThreadsAreBitIdentical() {
        TokenTesting.assertParallelBitIdentical(tir, params(tir, "verl", Map.of()));
    }
}
