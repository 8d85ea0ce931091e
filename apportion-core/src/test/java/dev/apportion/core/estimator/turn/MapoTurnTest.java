package dev.apportion.core.estimator.turn;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
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

class MapoTurnTest extends EstimatorContract {
    private final MapoTurn est = new MapoTurn();
    private static final double TOL = 1e-4;

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(resolved(null, Map.of("turn_reward", "prm", "gamma", 0.9, "lambda", 0.8)));
    }

    /** Judge scores as span rewards, one per turn (the outcome is 0). */
    private static void dialogue(RolloutsBuilder b, String group, String id, double... scores) {
        b.trajectory(group, id).outcome(0).span(Role.CONTEXT, 1);
        for (double s : scores) b.span(Role.POLICY, 2, s, null, null).span(Role.CONTEXT, 1);
    }

    /**
     * Reference notes' example: r = [[.2, .5, .8], [.1, .1, .4]], gamma 1 -> G = [[1.5, 1.3, .8],
     * [.6, .5, .4]]. Turn level +-1 in every column; batch level (mean .85, population std .41130)
     * [1.5804, 1.0941, -.1216 | -.6078, -.8510, -1.0941]; mix 0.5/0.5.
     */
    @Test
    void workedExample() {
        RolloutsBuilder b = Rollouts.builder();
        dialogue(b, "q", "a", 0.2, 0.5, 0.8);
        dialogue(b, "q", "b", 0.1, 0.1, 0.4);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        assertTurns(batch, c.advantages(), 0, TOL, 1.2902, 1.0470, 0.4392);
        assertTurns(batch, c.advantages(), 1, TOL, -0.8039, -0.9255, -1.0470);
        assertTurns(batch, c.returns(), 0, 1e-6, 1.5, 1.3, 0.8);
        assertTurnConstant(batch, c.advantages());
    }

    /**
     * A turn index reached by one trajectory falls back to the batch term. G: a = [2, 1], b = [0];
     * batch mean 1, population std sqrt(2/3) -> [1.2247, 0, -1.2247]; turn 0 cell +-1.
     * The outcome added to the last turn works like a final judge score.
     */
    @Test
    void singletonTurnIndexUsesTheBatchTerm() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "a")
                .outcome(1)
                .span(Role.POLICY, 1, 1.0, null, null)
                .span(Role.POLICY, 1)
                .trajectory("q", "b")
                .outcome(0)
                .span(Role.POLICY, 1)
                .build();
        Credit c = est.assign(batch);
        assertTurns(batch, c.advantages(), 0, 1e-5, 1.1123717, 0.0);
        assertTurns(batch, c.advantages(), 1, 1e-5, -1.1123717);
        assertEquals(1.0, c.diagnostics().get("batch_only_turns"));
    }

    /** lambda = 1 is turn-level only; gamma discounts; a span signal can hold the judge score. */
    @Test
    void signalSourceAndParameters() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "a")
                .span(Role.POLICY, 1)
                .spanSignal("judge", 1.0)
                .span(Role.POLICY, 1)
                .spanSignal("judge", 1.0)
                .trajectory("q", "b")
                .span(Role.POLICY, 1)
                .spanSignal("judge", 0.0)
                .span(Role.POLICY, 1)
                .spanSignal("judge", 0.0)
                .build();
        Params p = resolved(null, Map.of("turn_reward", "judge", "lambda", 1.0, "gamma", 0.5));
        Credit c = est.assign(batch, p);
        assertTurns(batch, c.returns(), 0, 1e-6, 1.5, 1.0);
        assertTurns(batch, c.advantages(), 0, 1e-5, 1.0, 1.0);
        assertTurns(batch, c.advantages(), 1, 1e-5, -1.0, -1.0);
        Params missing = resolved(null, Map.of("turn_reward", "nope"));
        assertThrows(RolloutException.class, () -> est.assign(batch, missing));
    }
}
