package dev.apportion.core.estimator.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GraphGrpoTest extends EstimatorContract {
    private final GraphGrpo est = new GraphGrpo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches' span agents are agent0/agent1: with marker "agent" every policy span is an edge. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                Params.defaults(est.descriptor()),
                resolved(null, Map.of("edge_marker", "agent")),
                resolved(null, Map.of("edge_marker", "agent", "mode", "graph")));
    }

    /**
     * By hand: R = [1, 1, 0, 0], mean 0.5, unbiased std 1/√3 = 0.57735 → Â = ±0.5/0.57735 = ±0.866025.
     * e1 in graphs 1, 2: A_e1 = mean(0.866, 0.866) − mean(−0.866, −0.866) = 1.732051.
     * e2 in graphs 2, 3: A_e2 = mean(0.866, −0.866) − mean(0.866, −0.866) = 0.
     * e3 in every graph: 0. Graph 4's non-edge span gets its own Â = −0.866025.
     */
    static Rollouts example() {
        return Rollouts.builder()
                .trajectory("q", "g1")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 2, Double.NaN, null, "a->b")
                .span(Role.POLICY, 1, Double.NaN, null, "b->c")
                .trajectory("q", "g2")
                .outcome(1)
                .span(Role.POLICY, 1, Double.NaN, null, "a->b")
                .span(Role.POLICY, 1, Double.NaN, null, "a->c")
                .span(Role.POLICY, 1, Double.NaN, null, "b->c")
                .trajectory("q", "g3")
                .outcome(0)
                .span(Role.POLICY, 1, Double.NaN, null, "a->c")
                .span(Role.POLICY, 1, Double.NaN, null, "b->c")
                .trajectory("q", "g4")
                .outcome(0)
                .span(Role.POLICY, 1, Double.NaN, null, "b->c")
                .span(Role.POLICY, 2, Double.NaN, null, "writer")
                .build();
    }

    @Test
    void workedExampleEdgeContrast() {
        float[] a = est.assign(example()).advantages();
        float[] want = {
            0,
            0,
            1.732051f,
            1.732051f,
            0, // g1: context, a->b ×2, b->c
            1.732051f,
            0,
            0, // g2: a->b, a->c, b->c
            0,
            0, // g3: a->c, b->c
            0,
            -0.866025f,
            -0.866025f
        }; // g4: b->c, writer ×2
        assertClose(want, a, "edge contrast");
    }

    @Test
    void graphModeGivesEveryEdgeItsGraphAdvantage() {
        float[] a =
                est.assign(example(), resolved(null, Map.of("mode", "graph"))).advantages();
        float u = 0.866025f;
        assertClose(new float[] {0, 0, u, u, u, u, u, u, -u, -u, -u, -u, -u}, a, "graph mode");
    }

    @Test
    void singleGraphGetsZero() {
        Rollouts one = Rollouts.builder()
                .trajectory("q", "g")
                .outcome(1)
                .span(Role.POLICY, 2, Double.NaN, null, "a->b")
                .build();
        float[] a = est.assign(one).advantages();
        assertEquals(0f, a[0]);
        assertEquals(0f, a[1]);
    }
}
