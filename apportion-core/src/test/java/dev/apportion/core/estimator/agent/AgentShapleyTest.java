package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class AgentShapleyTest extends EstimatorContract {
    private final AgentShapley est = AgentShapley.fromCoalitions();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches carry no coalition values: the equal split (missing = v(empty)). */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("missing_coalition", "zero")),
                resolved("difference", Map.of("missing_coalition", "zero", "team_weight", 0.5)),
                resolved(null, Map.of("missing_coalition", "zero", "baseline", "none")));
    }

    private Params raw(Map<String, Object> more) {
        Map<String, Object> m = new java.util.HashMap<>(more);
        m.put("baseline", "none");
        return resolved(null, m);
    }

    /** Agent turns a, b, a, then the given coalition signals. */
    private static RolloutsBuilder twoAgents(RolloutsBuilder b, String group, String id, double outcome) {
        return b.trajectory(group, id)
                .outcome(outcome)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, Double.NaN, null, "a")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1, Double.NaN, null, "b")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 3, Double.NaN, null, "a");
    }

    /**
     * v(empty) = 0, v(a) = 0.2, v(b) = 0.4, v(ab) = outcome = 1.
     * Shapley: phi_a = (0.2 - 0)/2 + (1 - 0.4)/2 = 0.4, phi_b = (0.4 - 0)/2 + (1 - 0.2)/2 = 0.6.
     * Difference rewards: phi_a = 1 - 0.4 = 0.6, phi_b = 1 - 0.2 = 0.8.
     */
    @Test
    void twoAgentShapleyAndDifference() {
        RolloutsBuilder b = Rollouts.builder();
        twoAgents(b, "g", "t", 1).signal("coalition:a", 0.2).signal("coalition:b", 0.4);
        Rollouts batch = b.build();
        float[] s = est.assign(batch, raw(Map.of())).advantages();
        assertTurns(batch, s, 0, TOL, 0.4, 0.6, 0.4);
        assertTurnConstant(batch, s);
        float[] d = est.assign(batch, raw(Map.of("method", "difference"))).advantages();
        assertTurns(batch, d, 0, TOL, 0.6, 0.8, 0.6);
    }

    /**
     * Three agents x, y, z: v(x) = .1, v(y) = .2, v(z) = 0, v(xy) = .6, v(xz) = .3, v(yz) = .4,
     * v(xyz) = 1. Weights 1/3 (empty or full remainder), 1/6 (one other agent):
     * phi_x = .1/3 + .4/6 + .3/6 + .6/3 = .35; phi_y = .2/3 + .5/6 + .4/6 + .7/3 = .45;
     * phi_z = 0 + .2/6 + .2/6 + .4/3 = .2 (sum 1). Coalition names in any order; v(N) given
     * as a signal overrides the outcome.
     */
    @Test
    void threeAgentShapley() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(0.0)
                .span(Role.POLICY, 1, Double.NaN, null, "y")
                .span(Role.POLICY, 1, Double.NaN, null, "z")
                .span(Role.POLICY, 1, Double.NaN, null, "x")
                .signal("coalition:x", 0.1)
                .signal("coalition:y", 0.2)
                .signal("coalition:z", 0.0)
                .signal("coalition:y+x", 0.6)
                .signal("coalition:x+z", 0.3)
                .signal("coalition:z+y", 0.4)
                .signal("coalition:z+x+y", 1.0)
                .build();
        float[] a = est.assign(batch, raw(Map.of())).advantages();
        assertTurns(batch, a, 0, TOL, 0.45, 0.2, 0.35);
        assertEquals(1.0 / 3, AgentShapley.shapleyWeights(3)[0], 1e-12);
        assertEquals(1.0 / 6, AgentShapley.shapleyWeights(3)[1], 1e-12);
        assertEquals(1.0 / 3, AgentShapley.shapleyWeights(3)[2], 1e-12);
        assertEquals(1.0 / 12, AgentShapley.shapleyWeights(4)[1], 1e-12);
    }

    /**
     * Per (group, agent) z-score: phi_a = 0.4 and 0.1 in two trajectories -> +-0.7071; phi_b =
     * 0.6 and 0.9 -> -+0.7071. team_weight adds the outcome before normalizing.
     */
    @Test
    void groupBaselinePerAgent() {
        RolloutsBuilder b = Rollouts.builder();
        twoAgents(b, "g", "t1", 1).signal("coalition:a", 0.2).signal("coalition:b", 0.4);
        twoAgents(b, "g", "t2", 1).signal("coalition:a", 0.0).signal("coalition:b", 0.8);
        Rollouts batch = b.build();
        float[] a = est.assign(batch).advantages();
        assertTurns(batch, a, 0, TOL, 0.7071068, -0.7071068, 0.7071068);
        assertTurns(batch, a, 1, TOL, -0.7071068, 0.7071068, -0.7071068);
        float[] m = est.assign(batch, resolved(null, Map.of("baseline", "group_mean")))
                .advantages();
        assertTurns(batch, m, 0, TOL, 0.15, -0.15, 0.15);
    }

    /** One agent: phi = v(N) - v(empty) = the outcome; a one-trajectory cell gets 0 under the group baseline. */
    @Test
    void oneAgentAndOneTrajectory() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "solo")
                .outcome(0.7)
                .span(Role.POLICY, 2, Double.NaN, null, "a")
                .span(Role.POLICY, 1, Double.NaN, null, "a")
                .build();
        assertTurns(batch, est.assign(batch, raw(Map.of())).advantages(), 0, TOL, 0.7, 0.7);
        assertTurns(batch, est.assign(batch).advantages(), 0, 0.0, 0.0, 0.0);
    }

    /** An agent absent from one trajectory: it is left out of that trajectory and of its cell's statistics. */
    @Test
    void agentMissingFromATrajectory() {
        RolloutsBuilder b = Rollouts.builder();
        twoAgents(b, "g", "t1", 1).signal("coalition:a", 0.2).signal("coalition:b", 0.4);
        b.trajectory("g", "t2").outcome(0.3).span(Role.POLICY, 2, Double.NaN, null, "a");
        Rollouts batch = b.build();
        float[] a = est.assign(batch).advantages();
        // a's shares: 0.4 (t1) and 0.3 (t2, the whole outcome) -> +-0.05/(0.070711 + 1e-6); b acts once -> 0
        assertTurns(batch, a, 0, TOL, 0.7070968, 0.0, 0.7070968);
        assertTurns(batch, a, 1, TOL, -0.7070968);
    }

    @Test
    void missingCoalitionsAndAgents() {
        RolloutsBuilder b = Rollouts.builder();
        twoAgents(b, "g", "t", 1).signal("coalition:a", 0.2);
        Rollouts batch = b.build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(
                e.getMessage().contains("coalition:b") && e.getMessage().contains("missing_coalition"), e.getMessage());
        // missing = v(empty): v(b) = 0 -> phi_a = 0.2/2 + 1/2 = 0.6, phi_b = 0 + 0.8/2 = 0.4
        float[] z = est.assign(batch, raw(Map.of("missing_coalition", "zero"))).advantages();
        assertTurns(batch, z, 0, TOL, 0.6, 0.4, 0.6);
        Rollouts noAgent = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        RolloutException e2 = assertThrows(RolloutException.class, () -> est.assign(noAgent));
        assertTrue(e2.getMessage().contains("agent"), e2.getMessage());
        Rollouts duplicate = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(Role.POLICY, 2, Double.NaN, null, "a")
                .signal("coalition:a+b", 1)
                .signal("coalition:b+a", 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(duplicate, raw(Map.of())));
    }

    /** Efficiency: with every coalition given, the shares add up to v(N) - v(empty). */
    @Test
    void sharesAddUpToTheOutcome() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(0.9)
                .signal("coalition:", 0.1)
                .span(Role.POLICY, 1, Double.NaN, null, "p")
                .span(Role.POLICY, 1, Double.NaN, null, "q")
                .span(Role.POLICY, 1, Double.NaN, null, "r")
                .signal("coalition:p", 0.3)
                .signal("coalition:q", 0.1)
                .signal("coalition:r", 0.2)
                .signal("coalition:p+q", 0.5)
                .signal("coalition:p+r", 0.4)
                .signal("coalition:q+r", 0.6)
                .build();
        Credit c = est.assign(batch, raw(Map.of()));
        float[] s = c.spanAdvantages();
        assertEquals(0.8, s[0] + s[1] + s[2], 1e-6);
        assertArrayEquals(
                new float[] {s[0], s[1], s[2]}, new float[] {c.advantages()[0], c.advantages()[1], c.advantages()[2]});
    }
}
