package dev.apportion.core.estimator.turn;

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
import dev.apportion.core.testing.RandomBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class At2poTest extends EstimatorContract {
    private final At2po est = new At2po();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /**
     * The random batch as search trees: the leading context span is the prompt (untagged); every
     * policy span starts a node, and the context after it belongs to that node. Trajectories with
     * two or more turns share their first node (id 1) within a group, so the trees branch.
     */
    @Override
    protected Rollouts build(List<RandomBatches.Traj> trajectories) {
        RolloutsBuilder b = Rollouts.builder();
        for (RandomBatches.Traj t : trajectories) {
            b.trajectory(t.group(), t.id()).outcome(t.outcome());
            int policies = 0;
            for (RandomBatches.SpanSpec s : t.spans()) if (s.role() == Role.POLICY) policies++;
            int num = Integer.parseInt(t.id().substring(1));
            int node = -1;
            int parent = -1;
            int turn = 0;
            for (RandomBatches.SpanSpec s : t.spans()) {
                if (s.role() == Role.POLICY) {
                    parent = node;
                    node = turn == 0 && policies >= 2 ? 1 : 100 * (num + 1) + turn;
                    turn++;
                }
                b.span(s.role(), s.tokens(), s.reward(), s.state(), s.agent());
                if (node >= 0) {
                    b.spanSignal(At2po.TREE_NODE, node)
                            .spanSignal(At2po.TREE_PARENT, parent)
                            .spanSignal(At2po.TREE_ENTROPY, node == 1 ? 0.5 : 0.1 * (num % 7));
                }
            }
            b.tokenSignal(Rollouts.REWARD, t.reward());
        }
        return b.build();
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new java.util.ArrayList<>(super.parameterSets());
        for (String v : List.of("child_mean", "child_softmax", "leaf_mean")) {
            for (String a : List.of("node_value", "diff_parent", "diff_global", "diff_localglobal")) {
                out.add(Params.resolve(est.descriptor(), null, Map.of("node_value_mode", v, "node_adv_mode", a)));
            }
        }
        return out;
    }

    /**
     * Root → A (leaf, reward 1) and B → {C (leaf, 0), D (leaf, 1)}; each node one policy token
     * after a one-token tool result (except the first turn).
     */
    private static Rollouts tree() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("p", "a").outcome(1).span(Role.CONTEXT, 2).span(Role.POLICY, 2);
        tag(b, 1, -1, 0.2);
        b.trajectory("p", "c").outcome(0).span(Role.CONTEXT, 2).span(Role.POLICY, 1);
        tag(b, 2, -1, 0.4);
        b.span(Role.CONTEXT, 1);
        tag(b, 3, 2, 1.0);
        b.span(Role.POLICY, 1);
        tag(b, 3, 2, 1.0);
        b.trajectory("p", "d").outcome(1).span(Role.CONTEXT, 2).span(Role.POLICY, 1);
        tag(b, 2, -1, 0.4);
        b.span(Role.CONTEXT, 1);
        tag(b, 4, 2, 0.0);
        b.span(Role.POLICY, 1);
        tag(b, 4, 2, 0.0);
        return b.build();
    }

    private static void tag(RolloutsBuilder b, int node, int parent, double entropy) {
        b.spanSignal(At2po.TREE_NODE, node)
                .spanSignal(At2po.TREE_PARENT, parent)
                .spanSignal(At2po.TREE_ENTROPY, entropy);
    }

    private Params p(String value, String adv, boolean norm) {
        return Params.resolve(
                est.descriptor(),
                null,
                Map.of("node_value_mode", value, "node_adv_mode", adv, "leaf_value_norm", norm));
    }

    @Test
    void childMeanDiffParentByHand() {
        Rollouts batch = tree();
        At2po.Trees t = est.trees(batch, p("child_mean", "diff_parent", false));
        int root = t.find(0, -1);
        assertEquals(0.75, t.value()[root], 1e-12, "root = mean(1, mean(0, 1))");
        assertEquals(0.5, t.value()[t.find(0, 2)], 1e-12);
        assertEquals(0.25, t.advantage()[t.find(0, 1)], 1e-12);
        assertEquals(-0.25, t.advantage()[t.find(0, 2)], 1e-12);
        assertEquals(-0.5, t.advantage()[t.find(0, 3)], 1e-12);
        assertEquals(0.5, t.advantage()[t.find(0, 4)], 1e-12);
        Credit c = est.assign(batch, p("child_mean", "diff_parent", false));
        // trajectory c: prompt 0,0 | node 2 (policy) | node 3 tool result (context) | node 3 (policy)
        int s = batch.tokenStart(1);
        assertEquals(0f, c.advantages()[s]);
        assertEquals(-0.25f, c.advantages()[s + 2]);
        assertEquals(0f, c.advantages()[s + 3], "tool-result token: no advantage");
        assertEquals(-0.5f, c.returns()[s + 3], "... but the reference's tensor holds the node's value there");
        assertEquals(-0.5f, c.advantages()[s + 4]);
    }

    @Test
    void softmaxFavoursTheHigherEntropyChildAndLeafMeanAveragesLeaves() {
        Rollouts batch = tree();
        At2po.Trees s = est.trees(batch, p("child_softmax", "node_value", false));
        double wC = Math.exp(1.0) / (Math.exp(1.0) + Math.exp(0.0));
        assertEquals(wC * 0 + (1 - wC) * 1, s.value()[s.find(0, 2)], 1e-12);
        At2po.Trees l = est.trees(batch, p("leaf_mean", "diff_global", false));
        assertEquals(2.0 / 3, l.value()[l.find(0, -1)], 1e-12, "mean of the three leaves");
        assertEquals(1 - 2.0 / 3, l.advantage()[l.find(0, 1)], 1e-12);
    }

    @Test
    void normalisedLeavesOfEqualRewardGiveZero() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("p", "a").outcome(1).span(Role.POLICY, 2);
        tag(b, 1, -1, 0);
        b.trajectory("p", "b").outcome(1).span(Role.POLICY, 2);
        tag(b, 2, -1, 0);
        for (float a : est.assign(b.build()).advantages()) assertEquals(0f, a);
    }

    @Test
    void aBrokenPathAndASharedLeafAreErrors() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("p", "a").outcome(1).span(Role.POLICY, 2);
        tag(b, 1, -1, 0);
        b.span(Role.POLICY, 1);
        tag(b, 3, 2, 0);
        b.trajectory("p", "b").outcome(0).span(Role.POLICY, 1);
        tag(b, 2, -1, 0);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b.build()));
        assertTrue(e.getMessage().contains("path"), e.getMessage());
        RolloutsBuilder d = Rollouts.builder();
        d.trajectory("p", "a").outcome(1).span(Role.POLICY, 2);
        tag(d, 1, -1, 0);
        d.trajectory("p", "b").outcome(0).span(Role.POLICY, 1);
        tag(d, 1, -1, 0);
        e = assertThrows(RolloutException.class, () -> est.assign(d.build()));
        assertTrue(e.getMessage().contains("each leaf is one trajectory"), e.getMessage());
    }

    @Test
    void aDetachedNodeCountsAsAZeroChild() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("p", "a").outcome(1).span(Role.POLICY, 2);
        tag(b, 1, -1, 0);
        b.span(Role.CONTEXT, 0);
        tag(b, 2, -1, 0);
        b.spanSignal(At2po.TREE_DETACHED, 1);
        At2po.Trees t = est.trees(b.build(), p("child_mean", "node_value", false));
        assertEquals(0.5, t.value()[t.find(0, -1)], 1e-12, "root = mean(1, 0)");
    }
}
