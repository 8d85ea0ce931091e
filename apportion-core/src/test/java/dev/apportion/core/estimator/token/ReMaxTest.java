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
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReMaxTest extends EstimatorContract {
    private final ReMax remax = new ReMax();

    @Override
    protected Estimator estimator() {
        return remax;
    }

    @Test
    void rewardToGoMinusGreedyBaselineOverPolicyTokensOnly() {
        // prompt C C, turn P P, observation C (reward 5 there is not the policy's), turn P; outcome 1
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .signal("reward_baseline", 0.25)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.REWARD, new float[] {0, 0, 0.5f, 0, 5, -0.25f})
                .build();
        Credit c = remax.assign(b);
        assertValues(new double[] {0, 0, 1.25, 0.75, 0, 0.75}, c.returns(), 0, "returns");
        assertValues(new double[] {0, 0, 1.0, 0.5, 0, 0.5}, c.advantages(), 0, "advantages");
    }

    @Test
    void outcomeOnlyGivesThePaperAdvantageOnEveryToken() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(0.8)
                .signal("reward_baseline", 0.5)
                .span(Role.POLICY, 3)
                .trajectory("g", "b")
                .outcome(0.1)
                .signal("reward_baseline", 0.5)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .build();
        Credit c = remax.assign(b, params(remax, "verl", Map.of()));
        assertValues(new double[] {0.3, 0.3, 0.3, 0, -0.4, -0.4}, c.advantages(), 0, "advantages");
    }

    @Test
    void trajectoryWithoutPolicyTokensGetsZeros() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .signal("reward_baseline", 3)
                .span(Role.CONTEXT, 2)
                .trajectory("g", "b")
                .outcome(1)
                .signal("reward_baseline", 0)
                .span(Role.POLICY, 1)
                .build();
        Credit c = remax.assign(b);
        assertEquals(0f, c.advantages()[0]);
        assertEquals(0f, c.advantages()[1]);
        assertEquals(1f, c.advantages()[2]);
    }

    @Test
    void missingBaselineNamesTheTrajectory() {
        Rollouts none = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> remax.assign(none));
        assertTrue(e.getMessage().contains("'remax'") && e.getMessage().contains("reward_baseline"), e.getMessage());
        Rollouts partial = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .signal("reward_baseline", 0)
                .span(Role.POLICY, 1)
                .trajectory("g", "b")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        RolloutException f = assertThrows(RolloutException.class, () -> remax.assign(partial));
        assertTrue(f.getMessage().contains("id 'b'"), f.getMessage());
        assertEquals(1, f.trajectory());
    }

    @Test
    void twoThreadsAreBitIdentical() {
        TokenTesting.assertParallelBitIdentical(remax, params(remax, null, Map.of()));
    }
}
