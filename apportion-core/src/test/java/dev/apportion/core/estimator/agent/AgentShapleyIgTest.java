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

class AgentShapleyIgTest extends EstimatorContract {
    private final AgentShapley est = AgentShapley.fromInfoGain();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /**
     * Turns (agent, info_gain): (a, .1), (b, .3), (a, -.05) -> phi_a = .05, phi_b = .3; second
     * trajectory (a, .25), (b, -.1) -> phi_a = .25, phi_b = -.1. Per (group, agent) z: a -> -+0.7071,
     * b -> +-0.7071; raw with team_weight 1 adds the outcomes (1 and 0).
     */
    @Test
    void realizedOrderMarginalContributions() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t1")
                .outcome(1)
                .span(Role.POLICY, 2, Double.NaN, null, "a")
                .spanSignal("info_gain", 0.1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1, Double.NaN, null, "b")
                .spanSignal("info_gain", 0.3)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1, Double.NaN, null, "a")
                .spanSignal("info_gain", -0.05)
                .trajectory("g", "t2")
                .outcome(0)
                .span(Role.POLICY, 1, Double.NaN, null, "a")
                .spanSignal("info_gain", 0.25)
                .span(Role.POLICY, 1, Double.NaN, null, "b")
                .spanSignal("info_gain", -0.1)
                .build();
        Params raw = resolved(null, Map.of("baseline", "none"));
        assertTurns(batch, est.assign(batch, raw).advantages(), 0, 1e-6, 0.05, 0.3, 0.05);
        assertTurns(batch, est.assign(batch).advantages(), 0, 1e-5, -0.7071068, 0.7071068, -0.7071068);
        assertTurns(batch, est.assign(batch).advantages(), 1, 1e-5, 0.7071068, -0.7071068);
        Params team = resolved(null, Map.of("baseline", "none", "team_weight", 1.0));
        assertTurns(batch, est.assign(batch, team).advantages(), 0, 1e-6, 1.05, 1.3, 1.05);
        assertTurns(batch, est.assign(batch, team).advantages(), 1, 1e-6, 0.25, -0.1);
    }

    /** One agent: its share is the sum of all the information gain; a one-trajectory group gets 0 under the baseline. */
    @Test
    void oneAgentOneTrajectory() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(Role.POLICY, 1, Double.NaN, null, "solo")
                .spanSignal("info_gain", 0.2)
                .span(Role.POLICY, 2, Double.NaN, null, "solo")
                .spanSignal("info_gain", 0.5)
                .build();
        Params raw = resolved(null, Map.of("baseline", "none"));
        assertTurns(batch, est.assign(batch, raw).advantages(), 0, 1e-6, 0.7, 0.7);
        assertTurns(batch, est.assign(batch).advantages(), 0, 0.0, 0.0, 0.0);
    }

    @Test
    void needsInfoGainOnEveryTurn() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(Role.POLICY, 1, Double.NaN, null, "a")
                .spanSignal("info_gain", 0.1)
                .span(Role.POLICY, 1, Double.NaN, null, "b")
                .build();
        assertThrows(RolloutException.class, () -> est.assign(batch));
    }
}
