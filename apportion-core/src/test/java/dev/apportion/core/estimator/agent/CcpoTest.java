package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.turn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
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

class CcpoTest extends EstimatorContract {
    private final Ccpo est = new Ccpo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches name their agents agent0/agent1 and carry reward_baseline as a stand-in counterfactual score. */
    @Override
    protected List<Params> parameterSets() {
        Map<String, Object> p =
                Map.of("thinker_agent", "agent0", "solver_agent", "agent1", "solo_signal", "reward_baseline");
        return List.of(
                resolved(null, p),
                resolved("paper", p),
                resolved(
                        null,
                        Map.of(
                                "thinker_agent",
                                "agent0",
                                "solver_agent",
                                "agent1",
                                "solo_signal",
                                "reward_baseline",
                                "counterfactual_use_event_bonus",
                                false)));
    }

    private static void pair(RolloutsBuilder b, String group, String id, double joint, double solo) {
        b.trajectory(group, id)
                .outcome(joint)
                .signal(Ccpo.SOLO_SCORE, solo)
                .span(Role.POLICY, 2, Double.NaN, null, "thinker")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 3, Double.NaN, null, "solver");
    }

    /**
     * Prompt with four rollouts, joint [1, 1, 0, 0.5] -> outcomes [1, 1, -1, 1]; solo [0, 0, 1, 0] ->
     * [-1, -1, 1, -1], group baseline -0.5. Event bonus: +1 where joint > 0 (b < 0), 0 for the failure
     * (b is not > 0) -> thinker [1.2, 1.2, -1, 1.2], solver [1, 1, -1, 1].
     */
    @Test
    void counterfactualBonusOnlyForTheThinker() {
        RolloutsBuilder b = Rollouts.builder();
        pair(b, "p", "a", 1, 0);
        pair(b, "p", "b", 1, 0);
        pair(b, "p", "c", 0, 1);
        pair(b, "p", "d", 0.5, 0);
        Rollouts batch = b.build();
        Ccpo.Components c = est.components(batch, Params.defaults(est.descriptor()));
        assertArrayEquals(new double[] {1.2, 1.2, -1, 1.2}, c.rewardThinker(), 1e-6);
        assertArrayEquals(new double[] {1, 1, -1, 1}, c.rewardSolver(), 0);
        Credit credit = est.assign(batch);
        // solver: mean 0.5, std 1 -> 0.5/(1+eps) and -1.5/(1+eps); thinker: mean 0.65, std sqrt(3*0.55^2+1.65^2)/sqrt3
        // = 1.1
        assertEquals(0.5, turn(batch, credit.advantages(), 0, 1), TOL);
        assertEquals(-1.5, turn(batch, credit.advantages(), 2, 1), TOL);
        assertEquals(0.55 / 1.1, turn(batch, credit.advantages(), 0, 0), TOL);
        assertEquals(-1.65 / 1.1, turn(batch, credit.advantages(), 2, 0), TOL);
        // lambda 0: both roles get the same advantage
        Credit zero = est.assign(batch, resolved(null, Map.of("counterfactual_lambda", 0.0)));
        assertEquals(turn(batch, zero.advantages(), 0, 1), turn(batch, zero.advantages(), 0, 0), 1e-7);
    }

    /** Without the group baseline and with the difference bonus: (joint - own solo)/2. */
    @Test
    void differenceBonusWithOwnBaseline() {
        RolloutsBuilder b = Rollouts.builder();
        pair(b, "p", "a", 1, 1);
        pair(b, "p", "b", -1, 1);
        Rollouts batch = b.build();
        Params p = resolved(
                null,
                Map.of(
                        "counterfactual_use_group_solo_baseline",
                        false,
                        "counterfactual_use_event_bonus",
                        false,
                        "counterfactual_lambda",
                        0.5));
        assertArrayEquals(new double[] {1.0, -1.5}, est.components(batch, p).rewardThinker(), 1e-6);
    }

    @Test
    void missingSoloScoreIsAnError() {
        Rollouts batch = Rollouts.builder()
                .trajectory("p", "a")
                .outcome(1)
                .span(Role.POLICY, 1, Double.NaN, null, "thinker")
                .build();
        assertThrows(RolloutException.class, () -> est.assign(batch));
    }
}
