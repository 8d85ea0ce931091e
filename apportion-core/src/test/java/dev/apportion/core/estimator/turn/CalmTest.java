package dev.apportion.core.estimator.turn;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
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

class CalmTest extends EstimatorContract {
    private final Calm est = new Calm();
    private static final double TOL = 1e-6;

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("subgoal_signal", "prm")),
                resolved("paper", Map.of("subgoal_signal", "info_gain", "normalize_by_std", true, "gamma", 0.9)));
    }

    /** Ten turns; the LLM flags subgoals at turns {@code flagged}; the outcome sits on the last turn. */
    private static void episode(RolloutsBuilder b, String id, double outcome, int... flagged) {
        b.trajectory("keyroom", id).outcome(outcome).span(Role.CONTEXT, 1);
        for (int t = 0; t < 10; t++) {
            boolean hit = false;
            for (int f : flagged) hit |= f == t;
            b.span(Role.POLICY, 1).spanSignal("subgoal", hit ? 1 : 0).span(Role.CONTEXT, 1);
        }
    }

    /**
     * Reference notes' example: subgoals {pick up key, unlock door} detected at t = 3 and t = 7,
     * r_aux = 0.1, r_T = 1 at t = 9 -> shaped rewards 0.1, 0.1, 1.0 there and 0 elsewhere; returns
     * 1.2 (t <= 3), 1.1 (4..7), 1.0 (8, 9). A second episode with no subgoal and outcome 0 has
     * returns 0; the per-turn-index group mean halves them: A = 0.6, 0.55, 0.5 and their negatives.
     */
    @Test
    void workedExample() {
        RolloutsBuilder b = Rollouts.builder();
        episode(b, "success", 1, 3, 7);
        episode(b, "failure", 0);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        assertTurns(batch, c.returns(), 0, TOL, 1.2, 1.2, 1.2, 1.2, 1.1, 1.1, 1.1, 1.1, 1.0, 1.0);
        assertTurns(batch, c.advantages(), 0, TOL, 0.6, 0.6, 0.6, 0.6, 0.55, 0.55, 0.55, 0.55, 0.5, 0.5);
        assertTurns(batch, c.advantages(), 1, TOL, -0.6, -0.6, -0.6, -0.6, -0.55, -0.55, -0.55, -0.55, -0.5, -0.5);
        assertTurnConstant(batch, c.advantages());
    }

    /** A one-episode group gets 0 (no baseline); a missing verdict counts as none; a missing signal is an error. */
    @Test
    void edgeCases() {
        RolloutsBuilder b = Rollouts.builder();
        episode(b, "alone", 1, 3);
        Rollouts single = b.build();
        float[] a = est.assign(single).advantages();
        for (float v : a) if (v != 0f) throw new AssertionError("one-episode group must get 0");
        Rollouts partial = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(0)
                .span(Role.POLICY, 1)
                .spanSignal("subgoal", 1)
                .span(Role.POLICY, 1)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 1)
                .spanSignal("subgoal", 0)
                .span(Role.POLICY, 1)
                .build();
        assertTurns(partial, est.assign(partial).advantages(), 0, TOL, 0.05, 0.0);
        Rollouts none = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(none));
    }
}
