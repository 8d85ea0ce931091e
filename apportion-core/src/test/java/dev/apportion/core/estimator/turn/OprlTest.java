package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OprlTest extends EstimatorContract {
    private final Oprl est = new Oprl();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches have no PRM log-probs: score the policy's own log-probs against the old ones. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                Params.resolve(est.descriptor(), null, Map.of("prm_signal", "logprob")),
                Params.resolve(est.descriptor(), "paper", Map.of("prm_signal", "ref_logprob", "step_reward_aggregation", "mean")));
    }

    /**
     * Reference notes' example, beta = 0.05: trajectory a (outcome 1), step 1 PRM [-1, -2] vs
     * old [-1.5, -2] -> r = 0.025, step 2 PRM [-0.5, -3] vs old [-0.5, -2] -> r = -0.05;
     * trajectory b (outcome 0), one step PRM [-1] vs old [-1.4] -> r = 0.02. Group pool
     * [0.025, -0.05, 0.02]: mean -0.001667, unbiased std 0.041932 -> z = [0.6359, -1.1526, 0.5167];
     * A^E = +-0.7071. A = A^E + z.
     */
    private static Rollouts example() {
        return Rollouts.builder()
                .trajectory("g", "a").outcome(1).span(Role.CONTEXT, 1).span(Role.POLICY, 2).span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal("prm_logprob", new float[] {0f, -1f, -2f, 0f, -0.5f, -3f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -1.5f, -2f, 0f, -0.5f, -2f})
                .trajectory("g", "b").outcome(0).span(Role.CONTEXT, 1).span(Role.POLICY, 1)
                .tokenSignal("prm_logprob", new float[] {0f, -1f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -1.4f})
                .build();
    }

    @Test
    void workedExample() {
        Rollouts batch = example();
        float[] a = est.assign(batch).advantages();
        assertTurns(batch, a, 0, 1e-5, 1.3430335, -0.4455132);
        assertTurns(batch, a, 1, 1e-5, -0.1904145);
        assertTurnConstant(batch, a);
    }

    /** alpha = 0.5 halves the step term; mean aggregation pools [0.0125, -0.025, 0.02] instead. */
    @Test
    void alphaAndMeanAggregation() {
        Rollouts batch = example();
        float[] half = est.assign(batch, Params.resolve(est.descriptor(), null, Map.of("alpha", 0.5))).advantages();
        assertTurns(batch, half, 0, 1e-5, 1.0250697, 0.1307963);
        assertTurns(batch, half, 1, 1e-5, -0.4487601);
        float[] mean = est.assign(batch, Params.resolve(est.descriptor(), null,
                Map.of("step_reward_aggregation", "mean"))).advantages();
        assertTurns(batch, mean, 0, 1e-5, 1.1218693, -0.4334938);
        assertTurns(batch, mean, 1, 1e-5, 0.0187303);
    }

    /** One trajectory: no episode baseline and a one-turn pool: 0. */
    @Test
    void singleStepSingleTrajectoryIsZero() {
        Rollouts batch = Rollouts.builder().trajectory("g", "a").outcome(1).span(Role.POLICY, 2)
                .tokenSignal("prm_logprob", new float[] {-1f, -1f}).tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2f, -2f})
                .build();
        assertTurns(batch, est.assign(batch).advantages(), 0, 0.0, 0.0);
    }

    @Test
    void missingPrmLogprobsAreNamed() {
        Rollouts batch = Rollouts.builder().trajectory("g", "a").outcome(1).span(Role.POLICY, 2)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2f, -2f}).build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("prm_logprob"), e.getMessage());
    }
}
