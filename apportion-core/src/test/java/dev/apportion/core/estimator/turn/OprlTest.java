package dev.apportion.core.estimator.turn;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OprlTest extends EstimatorContract {
    private final Oprl est = new Oprl();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches have no PRM log-probs: score the policy's own log-probs against the old ones. */
    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new java.util.ArrayList<>();
        out.add(resolved(null, Map.of("prm_signal", "logprob")));
        out.add(resolved("paper", Map.of("prm_signal", "ref_logprob", "step_reward_aggregation", "mean")));
        out.add(resolved("pooled_zscore", Map.of("prm_signal", "logprob")));
        for (String mode : Oprl.MODES) out.add(resolved(null, Map.of("prm_signal", "logprob", "mode", mode)));
        out.add(resolved(null, Map.of("prm_signal", "logprob", "use_process_only", true)));
        return out;
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
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal("prm_logprob", new float[] {0f, -1f, -2f, 0f, -0.5f, -3f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -1.5f, -2f, 0f, -0.5f, -2f})
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal("prm_logprob", new float[] {0f, -1f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -1.4f})
                .build();
    }

    private Params pooled(Map<String, Object> extra) {
        return resolved("pooled_zscore", extra);
    }

    /**
     * Issue 12's example, computed there with the authors' compute_istar_rloo_advantage: outcomes
     * 1/0/0, per-turn log-ratio sums a = [+2, +1], b = [-1, 0], c = [0, -2], beta = 0.05. Step
     * rewards [0.1, 0.05], [-0.05, 0], [0, -0.1] / batch max 0.1; episode RLOO [1, -0.5, -0.5];
     * step pool (first turns) [1, -0.5, 0], mean 1/6, times 3/2.
     */
    private static Rollouts issueExample() {
        var b = Rollouts.builder();
        double[][] sums = {{2, 1}, {-1, 0}, {0, -2}};
        String[] ids = {"a", "b", "c"};
        for (int i = 0; i < 3; i++) {
            b.trajectory("g", ids[i])
                    .outcome(i == 0 ? 1 : 0)
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 2)
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 1)
                    .tokenSignal("prm_logprob", new float[] {0f, (float) sums[i][0] - 1f, 1f, 0f, (float) sums[i][1]})
                    .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, 0f, 0f, 0f, 0f});
        }
        return b.build();
    }

    @Test
    void issueTwelveExampleMatchesTheAuthorsIstarRloo() {
        Rollouts batch = issueExample();
        float[] a = est.assign(batch).advantages();
        assertTurns(batch, a, 0, 1e-4, 2.25, 1.50);
        assertTurns(batch, a, 1, 1e-4, -1.50, -0.75);
        assertTurns(batch, a, 2, 1e-4, -0.75, -2.25);
        assertTurnConstant(batch, a);
        // the paper preset is the same estimator
        float[] p = est.assign(batch, resolved("paper", Map.of())).advantages();
        assertTurns(batch, p, 0, 1e-4, 2.25, 1.50);
        // process only: the step term alone
        float[] s = est.assign(batch, resolved(null, Map.of("use_process_only", true)))
                .advantages();
        assertTurns(batch, s, 0, 1e-4, 1.25, 0.50);
        assertTurns(batch, s, 2, 1e-4, -0.25, -1.75);
        // combined: RLOO of R + r/max with the first-turn pool [2, -0.5, 0]: mean 0.5
        float[] c = est.assign(batch, resolved(null, Map.of("mode", "process_outcome_combined")))
                .advantages();
        assertTurns(batch, c, 0, 1e-4, 1.5 * (2 - 0.5), 1.5 * (1.5 - 0.5));
        assertTurns(batch, c, 1, 1e-4, 1.5 * (-0.5 - 0.5), 1.5 * (0 - 0.5));
        // GRPO mean_norm: no N/(N-1) factor: a1 = (1 - 1/3) + (1 - 1/6)
        float[] g = est.assign(batch, resolved(null, Map.of("mode", "istar_grpo_mean_norm")))
                .advantages();
        assertTurns(batch, g, 0, 1e-4, 2.0 / 3 + 5.0 / 6, 2.0 / 3 + (0.5 - 1.0 / 6));
    }

    /** One trajectory with one two-token turn, outcome 1: PRM log-probs −1 and old log-probs −2 on both tokens. */
    private static Rollouts oneTurn() {
        return Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .tokenSignal("prm_logprob", new float[] {-1f, -1f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2f, -2f})
                .build();
    }

    @Test
    void rlooKeepsRawValuesForAGroupOfOne() {
        Rollouts batch = oneTurn();
        // R = 1 raw, r = 0.1 / (0.1 + 1e-6) raw
        assertTurns(batch, est.assign(batch).advantages(), 0, 1e-5, 1.0 + 0.1 / (0.1 + 1e-6));
    }

    @Test
    void workedExample() {
        Rollouts batch = example();
        float[] a = est.assign(batch, pooled(Map.of())).advantages();
        assertTurns(batch, a, 0, 1e-5, 1.3430335, -0.4455132);
        assertTurns(batch, a, 1, 1e-5, -0.1904145);
        assertTurnConstant(batch, a);
    }

    /** alpha = 0.5 halves the step term; mean aggregation pools [0.0125, -0.025, 0.02] instead. */
    @Test
    void alphaAndMeanAggregation() {
        Rollouts batch = example();
        float[] half = est.assign(batch, pooled(Map.of("alpha", 0.5))).advantages();
        assertTurns(batch, half, 0, 1e-5, 1.0250697, 0.1307963);
        assertTurns(batch, half, 1, 1e-5, -0.4487601);
        float[] mean = est.assign(batch, pooled(Map.of("step_reward_aggregation", "mean")))
                .advantages();
        assertTurns(batch, mean, 0, 1e-5, 1.1218693, -0.4334938);
        assertTurns(batch, mean, 1, 1e-5, 0.0187303);
    }

    /** pooled_zscore, one trajectory: no episode baseline and a one-turn pool: 0. */
    @Test
    void singleStepSingleTrajectoryIsZero() {
        Rollouts batch = oneTurn();
        assertTurns(batch, est.assign(batch, pooled(Map.of())).advantages(), 0, 0.0, 0.0);
    }

    @Test
    void missingPrmLogprobsAreNamed() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2f, -2f})
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("prm_logprob"), e.getMessage());
    }
}
