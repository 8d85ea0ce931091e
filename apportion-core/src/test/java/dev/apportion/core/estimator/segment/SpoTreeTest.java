package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SpoTreeTest extends EstimatorContract {
    private static final SpoTree EST = new SpoTree();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        out.add(params(Map.of("only_adv_greater_than_zero", false)));
        out.add(params(Map.of("adv_method", "grpo", "prover_best_of", 2)));
        return out;
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /** Random sampling trees: per group, every root-to-terminal path is a trajectory (prompt context span first). */
    @Override
    protected List<List<RandomBatches.Traj>> batches() {
        List<List<RandomBatches.Traj>> out = new ArrayList<>();
        for (long seed = 1; seed <= 4; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            List<RandomBatches.Traj> ts = new ArrayList<>();
            for (int g = 0; g < 3; g++) grow(r, "g" + g, "", new ArrayList<>(), 0, ts);
            out.add(ts);
        }
        return out;
    }

    private static void grow(
            SplittableRandom r,
            String group,
            String key,
            List<RandomBatches.SpanSpec> path,
            int depth,
            List<RandomBatches.Traj> out) {
        int children = depth == 0 ? 2 + r.nextInt(2) : depth < 3 && r.nextInt(3) > 0 ? 1 + r.nextInt(3) : 0;
        if (children == 0) {
            List<RandomBatches.SpanSpec> spans = new ArrayList<>();
            spans.add(new RandomBatches.SpanSpec(Role.CONTEXT, 2, Double.NaN, null, null, Double.NaN, Double.NaN));
            spans.addAll(path);
            int n = 0;
            for (RandomBatches.SpanSpec s : spans) n += s.tokens();
            double outcome = r.nextInt(4) == 0 ? 0.5 : r.nextInt(2);
            out.add(new RandomBatches.Traj(
                    group,
                    group + "-" + key,
                    outcome,
                    0,
                    spans,
                    new float[n],
                    new float[n],
                    new float[n],
                    new float[n],
                    new float[n],
                    new float[n],
                    new float[n]));
            return;
        }
        for (int c = 0; c < children; c++) {
            String k = key + "." + c;
            List<RandomBatches.SpanSpec> p = new ArrayList<>(path);
            p.add(new RandomBatches.SpanSpec(
                    Role.POLICY, 1 + Math.floorMod(k.hashCode(), 3), Double.NaN, k, null, Double.NaN, Double.NaN));
            grow(r, group, k, p, depth + 1, out);
        }
    }

    /** Root → A → {a1: 1, a2: 0}, root → B (terminal, 1): V(A) = 0.5, V(root) = 0.75. */
    static Rollouts smallTree() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("q", "a1")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, Double.NaN, "A", null)
                .span(Role.POLICY, 1, Double.NaN, "a1", null);
        b.trajectory("q", "a2")
                .outcome(0)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, Double.NaN, "A", null)
                .span(Role.POLICY, 1, Double.NaN, "a2", null);
        b.trajectory("q", "B").outcome(1).span(Role.CONTEXT, 1).span(Role.POLICY, 1, Double.NaN, "B", null);
        return b.build();
    }

    @Test
    void workedExampleRloo() {
        Rollouts b = smallTree();
        assertArrayEquals(new double[] {0.75, 0.5, 1, 0, 1}, SpoTree.nodeValues(b, 0), 1e-12);
        Credit c = EST.assign(b, params(Map.of()));
        // a1: ctx, A, A, a1 | a2: ctx, A, A, a2 | B: ctx, B
        assertArrayEquals(
                new float[] {0, -0.25f, -0.25f, 0.5f, 0, -0.25f, -0.25f, -0.5f, 0, 0.25f}, c.advantages(), 1e-7f);
        assertArrayEquals(new float[] {0, 0.5f, 0.5f, 1, 0, 0.5f, 0.5f, 0, 0, 1}, c.returns(), 1e-7f);
        // the shared edge A trains once (its first copy)
        assertArrayEquals(new float[] {0, 1, 1, 1, 0, 0, 0, 1, 0, 1}, c.lossWeights(), 0f);
        assertEquals(4.0, c.diagnostics().get("kept_edges"));
    }

    @Test
    void grpoDividesByTheParentsChildrenStd() {
        Credit c = EST.assign(smallTree(), params(Map.of("adv_method", "grpo")));
        // root's children 0.5 and 1: population std 0.25; A's children 1 and 0: std 0.5
        assertEquals(-0.25 / (0.25 + 1e-8), c.advantages()[1], 1e-6);
        assertEquals(0.5 / (0.5 + 1e-8), c.advantages()[3], 1e-6);
        assertEquals(0.25 / (0.25 + 1e-8), c.advantages()[9], 1e-6);
    }

    /** The filter keeps negative edges and drops edges between equal values. */
    @Test
    void filterDropsOnlyUnchangedValues() {
        SpoTree.Tree t =
                new SpoTree.Tree(new int[] {0, 0, 1, 1, 0}, new double[] {0.5, 1.0, 1.0, 1.0, 0.0}, new double[] {
                    0.5, 0.0, Double.NaN, Double.NaN, Double.NaN
                });
        List<SpoTree.Edge> e = SpoTree.edges(t, "rloo", true, 4);
        assertTrue(e.get(0).kept());
        assertFalse(e.get(1).kept());
        assertFalse(e.get(2).kept());
        assertTrue(e.get(3).kept());
        assertEquals(-0.5, e.get(3).advantage(), 0);
        assertEquals(-(1 - Math.pow(0.5, 4)), e.get(3).proverAdvantage(), 1e-15);
        // BoK applies to any value: -1 gives 1 - 2^4
        assertEquals(-15.0, SpoTree.bok(-1, 4), 0);
    }

    @Test
    void unsupportedMethodIsRefusedAtTheFirstEdgeOnly() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> EST.assign(smallTree(), params(Map.of("adv_method", "GRPO"))));
        assertTrue(e.getMessage().contains("adv_method GRPO is not supported"), e.getMessage());
        assertEquals(
                0,
                SpoTree.edges(new SpoTree.Tree(new int[] {-1}, new double[] {1}, new double[] {0}), "ppo", true, 4)
                        .size());
    }

    @Test
    void aStateUnderTwoParentsIsRefused() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("q", "x")
                .outcome(1)
                .span(Role.POLICY, 1, Double.NaN, "A", null)
                .span(Role.POLICY, 1, Double.NaN, "C", null);
        b.trajectory("q", "y")
                .outcome(0)
                .span(Role.POLICY, 1, Double.NaN, "B", null)
                .span(Role.POLICY, 1, Double.NaN, "C", null);
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b.build(), params(Map.of())));
        assertTrue(e.getMessage().contains("'C'") && e.getMessage().contains("form a tree"), e.getMessage());
    }

    @Test
    void aTerminalNodeWithChildrenIsRefused() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("q", "x").outcome(1).span(Role.POLICY, 1, Double.NaN, "A", null);
        b.trajectory("q", "y")
                .outcome(0)
                .span(Role.POLICY, 1, Double.NaN, "A", null)
                .span(Role.POLICY, 1, Double.NaN, "C", null);
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b.build(), params(Map.of())));
        assertTrue(e.getMessage().contains("terminal node cannot have children"), e.getMessage());
    }
}
