package dev.apportion.core.estimator.segment;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
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

class FGrpoTest extends EstimatorContract {
    private final FGrpo est = new FGrpo();
    private static final double TOL = 1e-4;

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches' agents are agent0/agent1 with span rewards. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("phases", "agent0,agent1", "phase_reward_source", "span_rewards")),
                resolved(
                        null,
                        Map.of("phases", "agent0", "phase_reward_source", "span_rewards", "unphased", "outcome")));
    }

    /**
     * Reference notes' example: R_gen = [1, .5, .5, 0] -> [1.2247, 0, 0, -1.2247]; R_rank =
     * [1, .63, .5, 0] -> [1.1309, .2359, -.0786, -1.2881] (unbiased std).
     */
    private static Rollouts example() {
        double[] gen = {1, 0.5, 0.5, 0};
        double[] rank = {1, 0.63, 0.5, 0};
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 4; i++) {
            b.trajectory("query", "t" + i)
                    .outcomeComponent("gen", gen[i])
                    .outcomeComponent("rank", rank[i])
                    .span(Role.CONTEXT, 3)
                    .span(Role.POLICY, 4, Double.NaN, null, "gen")
                    .span(Role.POLICY, 2, Double.NaN, null, "rank");
        }
        return b.build();
    }

    @Test
    void workedExample() {
        Rollouts batch = example();
        float[] a = est.assign(batch).advantages();
        double[] gen = {1.2247, 0, 0, -1.2247};
        double[] rank = {1.1309, 0.2359, -0.0786, -1.2881};
        for (int i = 0; i < 4; i++) assertTurns(batch, a, i, TOL, gen[i], rank[i]);
        assertTurnConstant(batch, a);
    }

    /** Phase rewards as span rewards: the sum of the phase's span rewards. */
    @Test
    void spanRewardSource() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "a")
                .span(Role.POLICY, 1, 0.5, null, "gen")
                .span(Role.POLICY, 1, 0.5, null, "gen")
                .span(Role.POLICY, 1, 0.0, null, "rank")
                .trajectory("q", "b")
                .span(Role.POLICY, 1, 0.0, null, "gen")
                .span(Role.POLICY, 1, 1.0, null, "rank")
                .build();
        Params p = resolved(null, Map.of("phase_reward_source", "span_rewards"));
        float[] a = est.assign(batch, p).advantages();
        assertTurns(batch, a, 0, 1e-5, 0.7071058, 0.7071058, -0.7071058);
        assertTurns(batch, a, 1, 1e-5, -0.7071058, 0.7071058);
    }

    /** A span outside the phases is an error, or gets the GRPO advantage of the score; one trajectory gets 0. */
    @Test
    void unphasedSpansAndSingleton() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "a")
                .outcome(1)
                .outcomeComponent("gen", 1)
                .outcomeComponent("rank", 0)
                .span(Role.POLICY, 1, Double.NaN, null, "gen")
                .span(Role.POLICY, 1, Double.NaN, null, "critic")
                .trajectory("q", "b")
                .outcome(0)
                .outcomeComponent("gen", 0)
                .outcomeComponent("rank", 0)
                .span(Role.POLICY, 1, Double.NaN, null, "gen")
                .span(Role.POLICY, 1)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("'critic'"), e.getMessage());
        float[] a =
                est.assign(batch, resolved(null, Map.of("unphased", "outcome"))).advantages();
        assertTurns(batch, a, 0, 1e-5, 0.7071058, 0.7071058);
        assertTurns(batch, a, 1, 1e-5, -0.7071058, -0.7071058);
        Rollouts single = Rollouts.builder()
                .trajectory("q", "a")
                .outcomeComponent("gen", 1)
                .outcomeComponent("rank", 1)
                .span(Role.POLICY, 1, Double.NaN, null, "gen")
                .span(Role.POLICY, 1, Double.NaN, null, "rank")
                .build();
        assertTurns(single, est.assign(single).advantages(), 0, 0.0, 0.0, 0.0);
    }

    @Test
    void missingComponentIsNamed() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "a")
                .outcomeComponent("gen", 1)
                .span(Role.POLICY, 1, Double.NaN, null, "gen")
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("outcome.rank"), e.getMessage());
    }
}
