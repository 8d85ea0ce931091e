package dev.apportion.core.estimator.token;

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
import dev.apportion.core.testing.RandomBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlowTracerTest extends EstimatorContract {
    private final FlowTracer est = new FlowTracer();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batch plus an attention map per trajectory, a fixed function of id and positions. */
    @Override
    protected Rollouts build(List<RandomBatches.Traj> trajectories) {
        RolloutsBuilder b = Rollouts.builder();
        for (RandomBatches.Traj t : trajectories) {
            b.trajectory(t.group(), t.id()).outcome(t.outcome());
            for (RandomBatches.SpanSpec s : t.spans()) b.span(s.role(), s.tokens(), s.reward(), s.state(), s.agent());
            b.tokenSignal(Rollouts.REWARD, t.reward());
            int n = t.tokens();
            float[] tri = new float[n * (n - 1) / 2];
            int seed = t.id().hashCode();
            for (int k = 0; k < tri.length; k++) tri[k] = (float) Math.abs(Math.sin(0.7 * k + seed % 31));
            b.tokenMatrix(FlowTracer.ATTENTION, tri);
        }
        return b.build();
    }

    /**
     * methods-reasoning.md §11: 0 (question) → 1, 2, 3 → 4 (answer); capacities 0→1 = 1, 0→2 = .5,
     * 1→2 = .5, 1→3 = .2, 2→3 = .8, 2→4 = .3, 3→4 = .7 → T = {1: .6667, 2: .8095, 3: .7792, 4: 1}.
     */
    private static Rollouts example(double outcome, String id, RolloutsBuilder b) {
        float[][] a = new float[5][5];
        a[1][0] = 1f;
        a[2][0] = 0.5f;
        a[2][1] = 0.5f;
        a[3][1] = 0.2f;
        a[3][2] = 0.8f;
        a[4][2] = 0.3f;
        a[4][3] = 0.7f;
        b.trajectory("g", id)
                .outcome(outcome)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 3)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 1)
                .tokenMatrix(FlowTracer.ATTENTION, RolloutsBuilder.lowerTriangle(a));
        return null;
    }

    @Test
    void workedExampleOfTheNotes() {
        RolloutsBuilder b = Rollouts.builder();
        example(1, "a", b);
        example(0, "b", b);
        Rollouts batch = b.build();
        double[] t = FlowTracer.throughput(
                batch, 0, batch.tokenMatrix(FlowTracer.ATTENTION), batch.tokenMatrixOffsets()[0], null);
        assertArrayEquals(new double[] {1.0, 0.6667, 0.8095, 0.7792, 1.0}, t, 1e-4);
        Credit c = est.assign(batch);
        double mean = (0.666667 + 0.809524 + 0.779221 + 1.0) / 4;
        double a = 1 / Math.sqrt(2);
        assertEquals(0f, c.advantages()[0]);
        assertEquals(a * 0.666667 / mean, c.advantages()[1], 1e-4);
        assertEquals(a * 1.0 / mean, c.advantages()[4], 1e-4);
        assertEquals(-a * 0.779221 / mean, c.advantages()[batch.tokenStart(1) + 3], 1e-4);
        Credit plain = est.assign(batch, Params.resolve(est.descriptor(), null, Map.of("strength", 0.0)));
        for (int k = 1; k < 5; k++) assertEquals(a, plain.advantages()[k], 1e-5, "strength 0 is GRPO");
    }

    @Test
    void tokensThatCannotReachTheAnswerGetNoFlow() {
        // token 2 attends to the question but nothing later attends to it
        float[][] a = new float[4][4];
        a[1][0] = 1f;
        a[2][0] = 1f;
        a[3][1] = 1f;
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 1)
                .tokenMatrix(FlowTracer.ATTENTION, RolloutsBuilder.lowerTriangle(a))
                .build();
        double[] t = FlowTracer.throughput(batch, 0, batch.tokenMatrix(FlowTracer.ATTENTION), 0, null);
        assertArrayEquals(new double[] {1, 1, 0, 1}, t, 1e-12);
    }

    @Test
    void matrixLengthAndSignAreChecked() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("g", "a").outcome(1).span(Role.POLICY, 3).tokenMatrix(FlowTracer.ATTENTION, new float[] {1, 2});
        RolloutException e = assertThrows(RolloutException.class, b::build);
        assertTrue(e.getMessage().contains("3 tokens need 3 values"), e.getMessage());
        Rollouts neg = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenMatrix(FlowTracer.ATTENTION, new float[] {1, -1, 1})
                .build();
        e = assertThrows(RolloutException.class, () -> est.assign(neg));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
        Rollouts none = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        e = assertThrows(RolloutException.class, () -> est.assign(none));
        assertTrue(e.getMessage().contains("token_matrices.attention"), e.getMessage());
    }
}
