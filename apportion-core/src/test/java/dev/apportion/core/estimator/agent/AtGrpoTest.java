package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
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
import dev.apportion.core.testing.PaperTurns;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AtGrpoTest extends EstimatorContract {
    private final AtGrpo est = new AtGrpo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** A prompt, then per turn: the agent's policy span (2 tokens, optional local reward), an observation. */
    private static void traj(
            RolloutsBuilder b, String group, String id, double outcome, String[] agents, double[] local) {
        b.trajectory(group, id).outcome(outcome).span(Role.CONTEXT, 1);
        for (int t = 0; t < agents.length; t++) {
            b.span(Role.POLICY, 2, local[t], null, agents[t]).span(Role.CONTEXT, 1);
        }
    }

    private static final double N = Double.NaN;

    /** The earlier paper-level reading, kept as preset outcome_team (alpha x final outcome on every turn). */
    private Params legacy(Map<String, Object> overrides) {
        return resolved("outcome_team", overrides);
    }

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
        Credit c = est.assign(batch, legacy(Map.of()));
        float[] a = c.advantages();
        assertTurns(batch, a, 0, TOL, 1.1547005, 1.1338934, 0.7071068, 0.7071068);
        assertTurns(batch, a, 1, TOL, -0.5773503, -0.3779645, -0.7071068, -0.7071068);
        assertTurns(batch, a, 2, TOL, -0.5773503, -0.7559289);
        assertTurnConstant(batch, a);
        assertEquals(4.0, c.diagnostics().get("groups"));
        assertEquals(0.0, c.diagnostics().get("singleton_rows"));
    }

    /** grouping = agent: A's turns pooled: r = [1.5, 1 | 0, 0 | 0], mean 0.5, unbiased std sqrt(0.5). */
    @Test
    void perAgentBaseline() {
        Rollouts batch = relay();
        float[] a = est.assign(batch, legacy(Map.of("grouping", "agent"))).advantages();
        assertEquals(1.4142136, PaperTurns.turn(batch, a, 0, 0), TOL);
        assertEquals(0.7071068, PaperTurns.turn(batch, a, 0, 2), TOL);
        assertEquals(-0.7071068, PaperTurns.turn(batch, a, 1, 0), TOL);
        assertEquals(-0.7071068, PaperTurns.turn(batch, a, 2, 0), TOL);
    }

    /** Without std: r - mean; alpha = 0 keeps only the local rewards (A's first turn: 0.5 - 0.5/3). */
    @Test
    void alphaZeroAndNoStd() {
        Rollouts batch = relay();
        Params p = legacy(Map.of("alpha", 0.0, "normalize_by_std", false));
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
        Credit c = est.assign(batch, legacy(Map.of()));
        assertTurns(batch, c.advantages(), 0, TOL, 0.7071068, 0.7071068);
        assertTurns(batch, c.advantages(), 1, TOL, -0.7071068, -0.7071068);
        assertTurns(batch, c.advantages(), 3, TOL, -0.7071068, 0.0);
        assertEquals(1.0, c.diagnostics().get("singleton_rows"));
        // upstream verl: a one-row group passes its raw reward (here every group of the batch is a singleton)
        RolloutsBuilder b2 = Rollouts.builder();
        traj(b2, "one", "z", 0.7, new String[] {"A", "B"}, new double[] {N, 0.1});
        Rollouts single = b2.build();
        float[] zero = est.assign(single, legacy(Map.of())).advantages();
        assertTurns(single, zero, 0, 0.0, 0.0, 0.0);
        float[] raw = est.assign(single, legacy(Map.of("singleton", "raw"))).advantages();
        assertTurns(single, raw, 0, TOL, 0.7, 0.8);
        // the authors' vendored verl: all groups are singletons, so raw as well
        float[] vendored =
                est.assign(single, legacy(Map.of("singleton", "vendored_verl"))).advantages();
        assertTurns(single, vendored, 0, TOL, 0.7, 0.8);
    }

    /** Spans without agents form one anonymous agent. */
    @Test
    void noAgentsAtAll() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 3)
                .build();
        float[] a = est.assign(batch, legacy(Map.of())).advantages();
        assertTurns(batch, a, 0, TOL, 0.7071068, 0.0);
        assertTurns(batch, a, 1, TOL, -0.7071068);
    }

    @Test
    void missingOutcomeIsAnError() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2, Double.NaN, null, "A")
                .trajectory("g", "b")
                .span(Role.POLICY, 2, 0.5, null, "A")
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch, legacy(Map.of())));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("at_grpo"), e.getMessage());
        // alpha = 0 needs no outcome
        float[] a = est.assign(batch, legacy(Map.of("alpha", 0.0))).advantages();
        assertEquals(-0.7071068, PaperTurns.turn(batch, a, 0, 0), TOL);
        // the reference default reads per-turn rewards and needs no outcome either
        float[] ref = est.assign(batch).advantages();
        assertEquals(-0.7071068, PaperTurns.turn(batch, ref, 0, 0), TOL);
    }

    /** One rollout of AT-GRPO's environment: per action (agent, turn_idx, per-turn reward, optional team reward). */
    private static void rollout(RolloutsBuilder b, String problem, String id, double[][] actions) {
        b.trajectory(problem, id);
        for (double[] x : actions) {
            b.span(Role.POLICY, 2, x[2], null, Integer.toString((int) x[0])).spanSignal(AtGrpo.TURN_IDX, x[1]);
            if (x.length > 3) b.spanSignal(AtGrpo.TEAM_REWARD, x[3]);
            b.span(Role.CONTEXT, 1);
        }
    }

    /**
     * Reference default: the row's own reward, groups (problem, turn, agent). Problem p has three
     * rollouts (agent 0 at turn 0: rewards 1, 0, 0.5 -> mean 0.5, std 0.5 -> +-0.999998, 0), problem q
     * one rollout, so its groups are singletons and get 0 while p has larger groups.
     */
    @Test
    void referencePerTurnRewardsAndVendoredSingletonRule() {
        RolloutsBuilder b = Rollouts.builder();
        rollout(b, "p", "a", new double[][] {{0, 0, 1.0}, {1, 0, 0.2}});
        rollout(b, "p", "b", new double[][] {{0, 0, 0.0}, {1, 0, 0.2}});
        rollout(b, "p", "c", new double[][] {{0, 0, 0.5}, {1, 0, 0.2}});
        rollout(b, "q", "d", new double[][] {{0, 0, 0.7}, {1, 0, 0.3}});
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        float[] a = c.advantages();
        assertEquals(0.5 / (0.5 + 1e-6), PaperTurns.turn(batch, a, 0, 0), TOL);
        assertEquals(-0.5 / (0.5 + 1e-6), PaperTurns.turn(batch, a, 1, 0), TOL);
        assertEquals(0.0, PaperTurns.turn(batch, a, 2, 0), TOL);
        assertEquals(0.0, PaperTurns.turn(batch, a, 0, 1), TOL); // equal rewards: 0/(0 + eps)
        assertTurns(batch, a, 3, 0.0, 0.0, 0.0); // singletons beside larger groups
        assertEquals(2.0, c.diagnostics().get("singleton_rows"));
        // alone, q's groups are all singletons: raw rewards
        RolloutsBuilder one = Rollouts.builder();
        rollout(one, "q", "d", new double[][] {{0, 0, 0.7}, {1, 0, 0.3}});
        Rollouts q = one.build();
        assertTurns(q, est.assign(q).advantages(), 0, TOL, 0.7, 0.3);
    }

    /** r = alpha * team_reward(turn) + local reward; without std: r - mean. */
    @Test
    void teamRewardSignalIsMixedWithAlpha() {
        RolloutsBuilder b = Rollouts.builder();
        rollout(b, "p", "a", new double[][] {{0, 0, 0.1, 1.0}});
        rollout(b, "p", "b", new double[][] {{0, 0, 0.3, 0.0}});
        Rollouts batch = b.build();
        Params p = resolved(null, Map.of("alpha", 0.5, "normalize_by_std", false));
        float[] a = est.assign(batch, p).advantages();
        // r = [0.6, 0.3], mean 0.45
        assertEquals(0.15, PaperTurns.turn(batch, a, 0, 0), TOL);
        assertEquals(-0.15, PaperTurns.turn(batch, a, 1, 0), TOL);
    }

    /** dapo (ratio > 0) drops groups with equal rewards; no_tree keeps each rollout's last turn, grouped by rollout. */
    @Test
    void filtersAndNoTreeMode() {
        RolloutsBuilder b = Rollouts.builder();
        rollout(b, "p", "a", new double[][] {{0, 0, 1.0}, {1, 0, 0.5}, {0, 1, 0.0}, {1, 1, 1.0}});
        rollout(b, "p", "b", new double[][] {{0, 0, 0.0}, {1, 0, 0.5}, {0, 1, 1.0}, {1, 1, 0.0}});
        Rollouts batch = b.build();
        Credit c = est.assign(batch, resolved(null, Map.of("filter_method", "dapo", "filter_ratio", 0.1)));
        assertEquals(2.0, c.diagnostics().get("dropped_rows"));
        assertEquals(0f, c.lossWeights()[batch.spanTokenStart(2)]);
        assertEquals(1f, c.lossWeights()[batch.spanTokenStart(0)]);
        assertEquals(0.0, PaperTurns.turn(batch, c.advantages(), 0, 1), 0.0);
        assertEquals(0.7071064, PaperTurns.turn(batch, c.advantages(), 0, 0), TOL);
        AtGrpo.Grouping g = est.grouping(batch, resolved(null, Map.of("rollout_mode", "no_tree")));
        // rows in batch order: a's four actions then b's; only turn 1 survives, one group per rollout
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {-1, -1, 0, 0, -1, -1, 1, 1}, g.group());
        float[] nt = est.assign(batch, resolved(null, Map.of("rollout_mode", "no_tree")))
                .advantages();
        assertEquals(-0.7071061, PaperTurns.turn(batch, nt, 0, 2), TOL);
        assertEquals(0.7071061, PaperTurns.turn(batch, nt, 0, 3), TOL);
    }
}
