package dev.apportion.core.estimator.agent;

import dev.apportion.core.testing.PaperTurns;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtGrpoTest extends EstimatorContract {
    private final AtGrpo est = new AtGrpo();
    private static final double TOL = 1e-5;

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** A prompt, then per turn: the agent's policy span (2 tokens, optional local reward), an observation. */
    private static void traj(RolloutsBuilder b, String group, String id, double outcome, String[] agents, double[] local) {
        b.trajectory(group, id).outcome(outcome).span(Role.CONTEXT, 1);
        for (int t = 0; t < agents.length; t++) {
            b.span(Role.POLICY, 2, local[t], null, agents[t]).span(Role.CONTEXT, 1);
        }
    }

    private static final double N = Double.NaN;

    /**
     * Agents A and B take turns. a (R = 1): A B A B, A's first turn has local reward 0.5;
     * b (R = 0): A B A B, B's first turn has local reward 0.2; c (R = 0): A B (one round).
     * alpha = 1, so r = R + local. Cells (A,0) r = [1.5, 0, 0]: mean 0.5, unbiased std sqrt(0.75)
     * -> [1.1547, -0.5774, -0.5774]; (B,0) r = [1, 0.2, 0]: mean 0.4, std sqrt(0.28)
     * -> [1.1339, -0.3780, -0.7559]; (A,1) and (B,1) r = [1, 0] -> +-0.7071 (c has no second round).
     */
    private static Rollouts relay() {
        RolloutsBuilder b = Rollouts.builder();
        String[] abab = {"A", "B", "A", "B"};
        traj(b, "q", "a", 1, abab, new double[] {0.5, N, N, N});
        traj(b, "q", "b", 0, abab, new double[] {N, 0.2, N, N});
        traj(b, "q", "c", 0, new String[] {"A", "B"}, new double[] {N, N});
        return b.build();
    }

    @Test
    void agentTurnCellsWorkedExample() {
        Rollouts batch = relay();
        Credit c = est.assign(batch);
        float[] a = c.advantages();
        assertTurns(batch, a, 0, TOL, 1.1547005, 1.1338934, 0.7071068, 0.7071068);
        assertTurns(batch, a, 1, TOL, -0.5773503, -0.3779645, -0.7071068, -0.7071068);
        assertTurns(batch, a, 2, TOL, -0.5773503, -0.7559289);
        assertTurnConstant(batch, a);
        assertEquals(4.0, c.diagnostics().get("cells"));
        assertEquals(0.0, c.diagnostics().get("singleton_turns"));
    }

    /** grouping = agent: A's turns pooled: r = [1.5, 1 | 0, 0 | 0], mean 0.5, unbiased std sqrt(0.5). */
    @Test
    void perAgentBaseline() {
        Rollouts batch = relay();
        float[] a = est.assign(batch, Params.resolve(est.descriptor(), null, Map.of("grouping", "agent"))).advantages();
        assertEquals(1.4142136, PaperTurns.turn(batch, a, 0, 0), TOL);
        assertEquals(0.7071068, PaperTurns.turn(batch, a, 0, 2), TOL);
        assertEquals(-0.7071068, PaperTurns.turn(batch, a, 1, 0), TOL);
        assertEquals(-0.7071068, PaperTurns.turn(batch, a, 2, 0), TOL);
    }

    /** Without std: r - mean; alpha = 0 keeps only the local rewards (A's first turn: 0.5 - 0.5/3). */
    @Test
    void alphaZeroAndNoStd() {
        Rollouts batch = relay();
        Params p = Params.resolve(est.descriptor(), null, Map.of("alpha", 0.0, "normalize_by_std", false));
        float[] a = est.assign(batch, p).advantages();
        assertEquals(0.5 - 0.5 / 3, PaperTurns.turn(batch, a, 0, 0), TOL);
        assertEquals(-0.5 / 3, PaperTurns.turn(batch, a, 1, 0), TOL);
        assertEquals(0.0, PaperTurns.turn(batch, a, 0, 2), TOL);
    }

    /** One agent: agent_turn is GRPO per turn index. Agent missing from a trajectory: B's turn is alone. */
    @Test
    void oneAgentAndMissingAgent() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "solo", "x", 1, new String[] {"A", "A"}, new double[] {N, N});
        traj(b, "solo", "y", 0, new String[] {"A", "A"}, new double[] {N, N});
        traj(b, "mixed", "u", 1, new String[] {"A"}, new double[] {N});
        traj(b, "mixed", "v", 0, new String[] {"A", "B"}, new double[] {N, N});
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        assertTurns(batch, c.advantages(), 0, TOL, 0.7071068, 0.7071068);
        assertTurns(batch, c.advantages(), 1, TOL, -0.7071068, -0.7071068);
        assertTurns(batch, c.advantages(), 3, TOL, -0.7071068, 0.0);
        assertEquals(1.0, c.diagnostics().get("singleton_turns"));
        // verl preset: the lone B turn passes its raw reward (outcome 0 here) and a one-trajectory group its outcome
        RolloutsBuilder b2 = Rollouts.builder();
        traj(b2, "one", "z", 0.7, new String[] {"A", "B"}, new double[] {N, 0.1});
        Rollouts single = b2.build();
        float[] zero = est.assign(single).advantages();
        assertTurns(single, zero, 0, 0.0, 0.0, 0.0);
        float[] raw = est.assign(single, Params.resolve(est.descriptor(), "verl", Map.of())).advantages();
        assertTurns(single, raw, 0, TOL, 0.7, 0.8);
    }

    /** Spans without agents form one anonymous agent. */
    @Test
    void noAgentsAtAll() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a").outcome(1).span(Role.POLICY, 2).span(Role.CONTEXT, 1).span(Role.POLICY, 1)
                .trajectory("g", "b").outcome(0).span(Role.POLICY, 3)
                .build();
        float[] a = est.assign(batch).advantages();
        assertTurns(batch, a, 0, TOL, 0.7071068, 0.0);
        assertTurns(batch, a, 1, TOL, -0.7071068);
    }

    @Test
    void missingOutcomeIsAnError() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a").outcome(1).span(Role.POLICY, 2, Double.NaN, null, "A")
                .trajectory("g", "b").span(Role.POLICY, 2, 0.5, null, "A")
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("at_grpo"), e.getMessage());
        // alpha = 0 needs no outcome
        float[] a = est.assign(batch, Params.resolve(est.descriptor(), null, Map.of("alpha", 0.0))).advantages();
        assertEquals(-0.7071068, PaperTurns.turn(batch, a, 0, 0), TOL);
    }
}
