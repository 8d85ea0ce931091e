package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComaCriticTest extends EstimatorContract {
    private final Coma est = Coma.withCritic();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /**
     * Tokens: ctx | turn0 (2) | ctx | turn1 (2) | ctx; values [0, .4, .45, .5, .7, .8, 0]; span
     * reward 0.1 on turn 0, outcome 1 (on turn 1's last token). Turn 0: r = 0.1, V(s') = 0.7,
     * V(s) = 0.4 -> A = 0.4; turn 1: r = 1, terminal, V(s) = 0.7 -> A = 0.3. gamma = 0.5: turn 0
     * gets 0.1 + 0.35 - 0.4 = 0.05.
     */
    @Test
    void turnTakingTdAdvantage() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, 0.1, "s0", "agent0")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, Double.NaN, "s1", "agent1")
                .span(Role.CONTEXT, 1)
                .tokenSignal(Rollouts.VALUE, new float[] {0f, 0.4f, 0.45f, 0.5f, 0.7f, 0.8f, 0f})
                .build();
        assertTurns(batch, est.assign(batch).advantages(), 0, 1e-6, 0.4, 0.3);
        Params half = resolved(null, Map.of("gamma", 0.5));
        assertTurns(batch, est.assign(batch, half).advantages(), 0, 1e-6, 0.05, 0.3);
    }

    @Test
    void needsTheCritic() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(batch));
    }
}
